"""The production WSGI app, with the raw-WSGI floor answered in front of Django."""

import json

from config.wsgi import application as django_application

RAW_PATH = "/bench/raw"
_BODY = json.dumps({"items": ["x" * 90] * 10}).encode()
# A constant 1 KB JSON body (trailing spaces are valid JSON whitespace).
RAW_BODY = _BODY + b" " * (1024 - len(_BODY))
_RAW_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(RAW_BODY)))]


def raw_wsgi(environ, start_response):
    """The floor of floors: what gunicorn and WSGI cost with no framework at all."""
    start_response("200 OK", _RAW_HEADERS)
    return [RAW_BODY]


def application(environ, start_response):
    if environ.get("PATH_INFO") == RAW_PATH:
        return raw_wsgi(environ, start_response)
    return django_application(environ, start_response)
