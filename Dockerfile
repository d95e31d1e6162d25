# The production image: gunicorn serving the API on port 8000, static files through whitenoise.
# docker-compose.yml runs it beside PostgreSQL; the settings come from the environment (README).
FROM python:3.11-slim

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
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--no-control-socket"]
