"""SQL statements per request, counted once per scenario: every statement really sent.

Each request runs with the connection checks of a production request cycle (the test
client turns them off) right after another one, as under load, and the count includes
what Django's own query log misses (a connection check's ``SELECT 1``).
"""

import json

from django.db import connection
from django.test import Client

from bench.seed import BENCH_EMAIL, BENCH_PASSWORD, BenchData
from config.db.statements import StatementsSent, connection_checks_per_request


def queries_per_request(scenarios, data: BenchData, *, user_id: str) -> dict[str, int]:
    """Each scenario's request made in-process against the bench database, counted."""
    from django.conf import settings

    settings.BENCH_USER_ID = user_id
    client = Client(HTTP_AUTHORIZATION=f"Bearer {data.access_token}")
    counts = {}
    with connection_checks_per_request():
        for scenario in scenarios:
            counts[scenario.name] = _statements_sent(scenario, data, client)
    return counts


def _statements_sent(scenario, data: BenchData, client: Client) -> int:
    if scenario.path == "/bench/raw":
        return 0  # answered before Django is reached
    request = _request_for(scenario, data, client)
    request()  # the first call may fill per-process caches (content types, ...)
    with StatementsSent(connection) as sent:
        response = request()
    assert response.status_code < 400, (scenario.name, response.status_code)
    return len(sent)


def _request_for(scenario, data: BenchData, client: Client):
    if scenario.name == "item create":
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
    return lambda: client.get(scenario.path)


def _refresh_request(path: str, data: BenchData):
    from accounts.services import token_pair_issue

    anonymous = Client()
    # Made before counting starts: one token for the warm-up call, one for the counted one.
    tokens = iter([token_pair_issue(user=data.user).refresh for _ in range(2)])
    return lambda: anonymous.post(
        path, json.dumps({"refresh": next(tokens)}), content_type="application/json"
    )
