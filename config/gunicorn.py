"""Gunicorn settings, as the production image runs them: ``gunicorn -c config/gunicorn.py``.

Every value comes from the environment (GUNICORN_*), with defaults for a small container.
Gunicorn reads this file before Django starts, so it reads os.environ directly.
"""

import os

from prometheus_client import multiprocess


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1)
threads = _int("GUNICORN_THREADS", 1)
# A request running longer than this is killed and its worker replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM, workers finish in-flight requests for up to this long before exiting.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never grows without bound.
# (High enough not to restart a busy worker every few seconds: a restart costs ~0.5 s.)
max_requests = _int("GUNICORN_MAX_REQUESTS", 100_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 10_000)
# Trust X-Forwarded-* only from the load balancer's addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None
preload_app = os.environ.get("GUNICORN_PRELOAD", "false").lower() == "true"

# The app writes one JSON access line per request itself (with request and user id);
# gunicorn's own access log is off unless asked for, and then it is JSON too.
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "false").lower() == "true"
accesslog = "-" if _access_log else None
access_log_format = "%(m)s %(U)s %(s)s %(M)sms"
_log_format = os.environ.get("LOG_FORMAT", "json")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.ops.logging.JsonFormatter"},
        "console": {"()": "config.ops.logging.ConsoleFormatter"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": _log_format},
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # A logging config alone turns gunicorn's access log on; silence it unless asked.
        "gunicorn.access": {
            "handlers": ["stdout"] if _access_log else [],
            "level": "INFO" if _access_log else "CRITICAL",
            "propagate": False,
        },
    },
}


def child_exit(server, worker):
    # Prometheus counters of a dead worker must not be summed forever.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
