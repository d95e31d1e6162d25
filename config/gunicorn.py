"""gunicorn's settings that follow the project's: `gunicorn --config config/gunicorn.py ...`.

gunicorn reads X-Forwarded-Proto itself (for wsgi.url_scheme) from the addresses in
`forwarded_allow_ips`, by default 127.0.0.1: then anyone on the machine could claim https. It
gets the same list the app trusts, DJANGO_TRUSTED_PROXIES (config.proxies), and nothing when unset.

The worker model (docs/performance.md, "Worker models", says how it was chosen): the command line
or GUNICORN_CMD_ARGS (`--workers 4`) overrides it, as gunicorn lets them.
"""

import os

forwarded_allow_ips = ",".join(
    item.strip() for item in os.environ.get("DJANGO_TRUSTED_PROXIES", "").split(",") if item.strip()
)

worker_class = "sync"
workers = 3
