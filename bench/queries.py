"""SQL statements per request, counted once per scenario: every statement really sent.

Each request runs with the connection checks of a production request cycle (the test
client turns them off) right after another one, as under load, and the count includes
what Django's own query log misses (a connection check's ``SELECT 1``). A cold
scenario's requests carry a ``cold=`` parameter of their own, as ``cold.lua`` sends
them, so the counted one is a cache miss; a warm-cache one repeats its URL, so the
counted one is served from the cache.
"""

import itertools
import json

from django.db import connection
from django.test import Client

from bench.seed import BENCH_EMAIL, BENCH_PASSWORD, BenchData
from config.db.statements import StatementsSent, connection_checks_per_request


def queries_per_request(scenarios, data: BenchData, *, user_id: str) -> dict[str, int]:
    """Each scenario's request made in-process against the bench database, counted."""
    from django.conf import settings

    settings.BENCH_USER_ID = user_id
    settings.BENCH_WRITER_ID = str(data.writer.pk)
    counts = {}
    with connection_checks_per_request():
        for scenario in scenarios:
            counts[scenario.name] = _statements_sent(scenario, data)
    return counts


def cold_statements_sent(scenario, access_token: str) -> int:
    """A cold GET scenario's statements, sent as the user of ``access_token``."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    with connection_checks_per_request():
        return _counted(scenario, _cold_request(scenario, client))


def _statements_sent(scenario, data: BenchData) -> int:
    if scenario.path == "/bench/raw":
        return 0  # answered before Django is reached
    token = data.writer_token if scenario.writer else data.access_token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return _counted(scenario, _request_for(scenario, data, client))


def _counted(scenario, request) -> int:
    request()  # the first call may fill per-process caches (content types, ...)
    with StatementsSent(connection) as sent:
        response = request()
    assert response.status_code < 400, (scenario.name, response.status_code)
    return len(sent)


def _request_for(scenario, data: BenchData, client: Client):
    if scenario.method == "POST" and scenario.script == "create.lua":
        body = json.dumps({"title": "Benchmark item", "description": "Counted"})
        return lambda: client.post(scenario.path, body, content_type="application/json")
    if scenario.name == "item patch":
        path = f"/api/v1/items/{data.item_ids[1]}/"
        return lambda: client.patch(
            path, '{"is_completed": true}', content_type="application/json"
        )
    if scenario.name == "login":
        body = json.dumps({"email": BENCH_EMAIL, "password": BENCH_PASSWORD})
        return lambda: client.post(scenario.path, body, content_type="application/json")
    if scenario.name == "token refresh":
        return _refresh_request(scenario.path, data)
    if scenario.script == "cold.lua":
        return _cold_request(scenario, client)
    return lambda: client.get(scenario.path)


def _cold_request(scenario, client: Client):
    """As cold.lua asks: each call with a ``cold=`` parameter of its own."""
    separator = "&" if "?" in scenario.path else "?"
    numbers = itertools.count()
    return lambda: client.get(f"{scenario.path}{separator}cold=counted-{next(numbers)}")


def _refresh_request(path: str, data: BenchData):
    from accounts.services import token_pair_issue

    anonymous = Client()
    # Made before counting starts: one token for the warm-up call, one for the counted one.
    tokens = iter([token_pair_issue(user=data.user).refresh for _ in range(2)])
    return lambda: anonymous.post(
        path, json.dumps({"refresh": next(tokens)}), content_type="application/json"
    )
