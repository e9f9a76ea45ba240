"""What the benchmark measures: each scenario is one URL, one method, one Lua script."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    script: str | None = None
    floor: str | None = None  # the scenario whose rate this one is compared with


def scenarios(*, item_id: str, file_id: str) -> list[Scenario]:
    return [
        Scenario("floor: raw WSGI", "GET", "/bench/raw"),
        Scenario("floor: items list", "GET", "/bench/items/"),
        Scenario("floor: item retrieve", "GET", f"/bench/items/{item_id}/"),
        Scenario("items list", "GET", "/api/v1/items/", "get.lua", floor="floor: items list"),
        Scenario(
            "item retrieve",
            "GET",
            f"/api/v1/items/{item_id}/",
            "get.lua",
            floor="floor: item retrieve",
        ),
        Scenario("item create", "POST", "/api/v1/items/", "create.lua"),
        # patch.lua sends each request to the next of the bench user's items.
        Scenario("item patch", "PATCH", "/api/v1/items/", "patch.lua"),
        Scenario("login", "POST", "/api/v1/auth/login/", "login.lua"),
        Scenario("token refresh", "POST", "/api/v1/auth/token/refresh/", "refresh.lua"),
        Scenario("health live", "GET", "/health/live"),
        Scenario("files list", "GET", "/api/v1/files/", "get.lua"),
        Scenario("file download", "GET", f"/api/v1/files/{file_id}/download/", "get.lua"),
    ]
