# The production images. The default one (the last stage, `docker build .`) is the app: gunicorn
# serving the API on port 8000. The proxy stage is nginx with the collected static files, whose
# configuration docker-compose.yml mounts (deploy/nginx.conf.template). The settings come from the
# environment (docs/configuration.md).
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# collectstatic imports the settings, which want a secret key: a throwaway one, for this step only.
RUN DJANGO_SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput

RUN useradd --system --no-create-home --uid 10001 app
USER app

EXPOSE 8000
ENTRYPOINT ["scripts/docker-entrypoint.sh"]
# No control socket: nobody runs gunicornc inside the container, and the app user has no home for it.
# config/gunicorn.py: gunicorn believes X-Forwarded-Proto only from DJANGO_TRUSTED_PROXIES, as the app does.
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.py", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--no-control-socket"]

# The proxy: nginx serving collectstatic's output itself; everything else goes to web:8000.
FROM nginx:1.27 AS proxy
COPY --from=app /app/staticfiles /srv/static

# The default target: the app, as above.
FROM app
