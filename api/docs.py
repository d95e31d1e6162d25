"""The documentation pages (Swagger UI, ReDoc) load nothing from outside the site.

Their assets come from drf-spectacular-sidecar, but ReDoc's bundle hard-codes one image from its
maker's CDN; this policy has the browser refuse it (and anything else remote) before it is sent.
No inline script runs: Swagger UI's start-up script is a file of its own (the split view serves
it at `?script`), ReDoc starts from its <redoc> element. Both inject styles, and ReDoc runs its
search in a worker made from a blob: URL.
"""

from functools import wraps

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

LOCAL_ONLY_POLICY = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)


def local_only(view):
    @wraps(view)
    def with_policy(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = LOCAL_ONLY_POLICY
        return response

    return with_policy


swagger_ui = local_only(SpectacularSwaggerSplitView.as_view(url_name="schema"))
redoc = local_only(SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"))
