"""Running the events socket in tests: Channels' WebsocketCommunicator on the real consumer.

Tests are plain functions that run their asynchronous part with ``run(scenario)``
(asgiref's ``async_to_sync``): the consumer's database reads and the REST calls then
run in the test's own thread, inside its transaction, as the rest of the suite does.
"""

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache

from realtime.events import publish_breaker


@pytest.fixture(autouse=True)
def _realtime_state(monkeypatch, settings):
    publish_breaker.reset()
    # Channels closes "old" database connections around database_sync_to_async calls;
    # in a test that would close the connection holding the test's transaction. Its
    # own communicator does the same, but only while the test awaits it.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    # Short enough that a test waiting for one of them is quick.
    settings.REALTIME_AUTH_TIMEOUT_SECONDS = 2.0
    settings.REALTIME_HEARTBEAT_SECONDS = 30.0
    yield
    publish_breaker.reset()
    cache.clear()


@pytest.fixture
def rest(django_capture_on_commit_callbacks):
    """``await rest(client.post, url, body)``: a REST call, its on-commit callbacks run."""

    async def call(method, *args, **kwargs):
        def committed():
            with django_capture_on_commit_callbacks(execute=True):
                return method(*args, **kwargs)

        return await sync_to_async(committed)()

    return call
