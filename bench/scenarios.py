"""What the benchmark measures: each scenario is one URL, one method, one Lua script.

Scenarios ``in_rounds`` are the ones the budgets compare with each other: they run one
after another, each once per round, for several rounds (``bench.run``), so a scenario
and the floor it is held to are always measured a few seconds apart, under the same
load of the machine. The others run once per connection count.

A *cold* scenario's script (``cold.lua``) adds a query parameter no other request sends
(``cold=<run>-<n>``, which the views ignore): the response cache can never serve it,
so every request pays for what a cache miss costs in production (the page read from
the database, rendered, and kept in Redis). A *warm-cache* scenario asks for the same
URL every time and is served from Redis. The floors are sent with ``cold.lua`` too, so
the client's work and the URLs' length are the same on both sides of a ratio.
"""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    script: str | None = None
    floor: str | None = None  # the scenario whose rate this one is compared with
    in_rounds: bool = False  # measured in the interleaved rounds (the budgets' ratios)
    writer: bool = False  # sent as the bench writer, whose items no list reads
    env: tuple[tuple[str, str], ...] = ()  # for its script

    @property
    def is_floor(self) -> bool:
        return self.name.startswith("floor: ")


FLOOR_LIST = "floor: items list"
FLOOR_RETRIEVE = "floor: item retrieve"
FLOOR_CREATE = "floor: item create"
COLD_LIST = "items list (cold)"
WARM_LIST = "items list (warm cache)"
COLD_RETRIEVE = "item retrieve (cold)"
CREATE = "item create"
CREATE_WITHOUT_LIVE_UPDATES = "item create (live updates off)"


def deep_page_name(page: int) -> str:
    return f"items page {page} (cold)"


def scenarios(*, item_id: str, file_id: str, deep_page: int, deep_path: str) -> list[Scenario]:
    """In the table's order; ``deep_path`` is the URL of the list's ``deep_page``-th page,
    reached by following its ``next`` links (``bench.cursors``)."""
    return [
        Scenario("floor: raw WSGI", "GET", "/bench/raw"),
        # The rounds: each ratio's two sides a few seconds apart.
        Scenario(FLOOR_LIST, "GET", "/bench/items/", "cold.lua", in_rounds=True),
        Scenario(COLD_LIST, "GET", "/api/v1/items/", "cold.lua", FLOOR_LIST, in_rounds=True),
        Scenario(deep_page_name(deep_page), "GET", deep_path, "cold.lua", in_rounds=True),
        Scenario(WARM_LIST, "GET", "/api/v1/items/", "get.lua", FLOOR_LIST, in_rounds=True),
        Scenario(FLOOR_RETRIEVE, "GET", f"/bench/items/{item_id}/", "cold.lua", in_rounds=True),
        Scenario(
            COLD_RETRIEVE,
            "GET",
            f"/api/v1/items/{item_id}/",
            "cold.lua",
            FLOOR_RETRIEVE,
            in_rounds=True,
        ),
        Scenario(FLOOR_CREATE, "POST", "/bench/items/", "create.lua", in_rounds=True, writer=True),
        create := Scenario(
            CREATE,
            "POST",
            "/api/v1/items/",
            "create.lua",
            FLOOR_CREATE,
            in_rounds=True,
            writer=True,
        ),
        # The same create publishing no event: what live updates cost a write.
        replace(create, name=CREATE_WITHOUT_LIVE_UPDATES, env=(("BENCH_LIVE_UPDATES", "off"),)),
        # Once per connection count.
        Scenario(
            "item retrieve (warm cache)",
            "GET",
            f"/api/v1/items/{item_id}/",
            "get.lua",
            FLOOR_RETRIEVE,
        ),
        # patch.lua sends each request to the next of the bench user's items.
        Scenario("item patch", "PATCH", "/api/v1/items/", "patch.lua"),
        Scenario("login", "POST", "/api/v1/auth/login/", "login.lua"),
        Scenario("token refresh", "POST", "/api/v1/auth/token/refresh/", "refresh.lua"),
        Scenario("health live", "GET", "/health/live"),
        Scenario("files list (warm cache)", "GET", "/api/v1/files/", "get.lua"),
        Scenario("file download", "GET", f"/api/v1/files/{file_id}/download/", "get.lua"),
    ]


def scaling_scenario(items: int) -> Scenario:
    """The first page of the list of an owner of ``items`` items, cold."""
    return Scenario(f"items list (cold), {items:,} items", "GET", "/api/v1/items/", "cold.lua")
