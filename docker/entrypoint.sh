#!/bin/sh
# Container start-up: wait for the database, optionally migrate and create the first
# superuser, then run the command (gunicorn by default; the worker runs db_worker).
set -eu

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    # Metrics files of a previous run would be summed with this one's.
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

python manage.py wait_for_database --timeout "${DATABASE_WAIT_SECONDS:-60}"

if [ "${MIGRATE_ON_START:-false}" = "true" ]; then
    python manage.py migrate --noinput
    if [ -n "${DJANGO_SUPERUSER_EMAIL:-}" ]; then
        python manage.py ensure_superuser
    fi
fi

exec "$@"
