import logging
import re

import pytest
from django.core import mail

from config.ops.logging import JsonFormatter

pytestmark = pytest.mark.django_db

PASSWORD = "my secret passphrase 4711"
NEW_PASSWORD = "another secret passphrase 0815"


def test_login_refresh_and_reset_never_log_passwords_or_tokens(
    api_client, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    secrets = [PASSWORD, NEW_PASSWORD]
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/register/", {"email": "ann@x.io", "password": PASSWORD})
    login = api_client.post("/api/v1/auth/login/", {"email": "ann@x.io", "password": PASSWORD})
    secrets += [login.json()["access"], login.json()["refresh"]]
    api_client.post("/api/v1/auth/login/", {"email": "ann@x.io", "password": "wrong " + PASSWORD})
    refreshed = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": login.json()["refresh"]}
    )
    secrets += [refreshed.json()["access"], refreshed.json()["refresh"]]
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/password/reset/", {"email": "ann@x.io"})
    link = re.search(r"uid=(\S+)&token=(\S+)", mail.outbox[-1].body)
    secrets.append(link[2])
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = api_client.post(
            "/api/v1/auth/password/reset/confirm/",
            {"uid": link[1], "token": link[2], "new_password": NEW_PASSWORD},
        )
    assert confirmed.status_code == 204

    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "keel.access" in logged
    for secret in secrets:
        assert secret not in logged
