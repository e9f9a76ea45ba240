import pytest
from django.core.cache import cache
from rest_framework.test import APIRequestFactory

from config.api.throttling import FixedWindowThrottle


class TwoPerMinute(FixedWindowThrottle):
    rate = "2/min"

    def get_cache_key(self, request, view):
        return "throttle_test_client"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, set by the test."""
    now = {"t": 1_000_040.0}  # 20 s into the minute window that starts at 1_000_020
    monkeypatch.setattr("config.api.throttling.time.time", lambda: now["t"])
    return now


def _allowed(throttle_class=TwoPerMinute) -> bool:
    return throttle_class().allow_request(APIRequestFactory().get("/"), None)


def test_fixed_window_allows_the_rate_then_refuses(clock):
    assert [_allowed(), _allowed(), _allowed()] == [True, True, False]


def test_fixed_window_counts_across_throttle_instances_through_the_cache(clock):
    # Each request gets a new throttle instance, as in DRF: the count lives in the cache.
    assert _allowed()
    assert _allowed()
    assert not _allowed()
    assert cache.get(f"throttle_test_client:{1_000_040 // 60}") == 3


def test_fixed_window_says_how_long_until_the_next_window(clock):
    throttle = TwoPerMinute()
    for _ in range(3):
        throttle.allow_request(APIRequestFactory().get("/"), None)
    assert throttle.wait() == 40.0


def test_fixed_window_starts_counting_again_in_the_next_window(clock):
    assert [_allowed(), _allowed(), _allowed()] == [True, True, False]
    clock["t"] += 40
    assert _allowed()


def test_throttle_without_a_rate_or_key_allows_everything(clock):
    class NoKey(TwoPerMinute):
        def get_cache_key(self, request, view):
            return None

    assert all(_allowed(NoKey) for _ in range(5))
