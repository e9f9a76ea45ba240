"""The storage readiness check: a round trip on the configured backend, remembered per process."""

import pytest
from django.core.cache import cache

from storage.health import check_storage, forget_last_success

pytestmark = pytest.mark.django_db

READY = "/health/ready"


def break_storage(settings, tmp_path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storage.backends.LocalFileStorage",
            "OPTIONS": {"location": blocker},
        },
    }


def test_ready_reports_storage_ok_and_leaves_no_object(isolated_storage, client):
    response = client.get(READY)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["storage"]["status"] == "ok"
    assert list(isolated_storage.list_keys()) == []


def test_ready_with_broken_storage_is_200_degraded_with_storage_error(broken_storage, client):
    response = client.get(READY)

    # The bucket is shared by every instance: its outage must not pull them all out.
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["storage"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_reuses_a_recent_storage_success_without_touching_the_backend(
    local_storage, client, settings, tmp_path
):
    assert client.get(READY).status_code == 200
    break_storage(settings, tmp_path)

    response = client.get(READY)

    assert response.status_code == 200
    assert response.json()["checks"]["storage"]["status"] == "ok"
    forget_last_success()
    assert client.get(READY).json()["checks"]["storage"]["status"] == "error"


def test_ready_without_storage_caching_checks_the_backend_every_time(
    local_storage, client, settings, tmp_path
):
    settings.STORAGE_HEALTH_CACHE_SECONDS = 0
    assert client.get(READY).json()["checks"]["storage"]["status"] == "ok"
    break_storage(settings, tmp_path)

    assert client.get(READY).json()["checks"]["storage"]["status"] == "error"


def test_ready_storage_success_of_another_instance_does_not_count_here(broken_storage, client):
    # The key an instance with working storage once shared through Redis: an instance
    # with a wrong secret must not report ready because another one is.
    cache.set("health:storage:ok", True)

    response = client.get(READY)

    assert response.json()["checks"]["storage"]["status"] == "error"


def test_check_storage_after_a_failure_checks_again(local_storage, settings, tmp_path):
    healthy = settings.STORAGES
    break_storage(settings, tmp_path)
    with pytest.raises(OSError, match="blocker"):
        check_storage()

    with pytest.raises(OSError, match="blocker"):
        check_storage()
    settings.STORAGES = healthy
    check_storage()
