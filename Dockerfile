# syntax=docker/dockerfile:1
# Keel production image: gunicorn serving the app, as a non-root user.

# --- Build stage: compilers live here only ------------------------------------------
FROM python:3.13-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
# Every package pinned with its hashes (make lock): what CI tested, byte for byte.
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --no-deps --require-hashes -r /tmp/requirements.lock \
    && /opt/venv/bin/pip check

# --- Runtime stage -------------------------------------------------------------------
FROM python:3.13-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    DEBUG=false \
    LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    GUNICORN_WORKER_TMP_DIR=/dev/shm
RUN groupadd --system --gid 10001 keel \
    && useradd --system --create-home --uid 10001 --gid 10001 keel
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The code stays root's: the process serving requests cannot rewrite it.
COPY . .
# Static files are collected into the image; the secrets here exist only for this step.
RUN SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuv \
    JWT_SIGNING_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuv \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown keel:keel /app/media
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8000
# No HEALTHCHECK here: the same image runs the task worker and the scheduler, which serve
# no HTTP. The web service's check lives where it runs (docker-compose.yml, the probes).
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "config/gunicorn.py"]
