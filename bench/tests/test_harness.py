"""The benchmark's pure parts: reading wrk's report and holding results to the budgets."""

import argparse
import copy
import importlib.util
from pathlib import Path

import pytest

from bench.check import budget_failures
from bench.report import markdown_table, with_floor_ratios
from bench.run import _environment
from bench.scenarios import scenarios
from bench.wrk import parse_wrk

WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:8000/api/v1/items/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    33.60ms    5.12ms  80.00ms   80.00%
    Req/Sec   474.90     20.00   500.00     70.00%
  Latency Distribution
     50%   33.29ms
     75%   36.00ms
     90%   38.00ms
     99%  850.50us
  7124 requests in 15.00s, 12.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    474.93
Transfer/sec:      0.80MB
"""


def test_parse_wrk_reads_rate_percentiles_counts_and_errors():
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_second == 474.93
    assert result.p50_ms == 33.29
    assert result.p99_ms == 0.851
    assert result.requests == 7124
    assert result.non_2xx == 4
    assert result.errors == 3


def test_parse_wrk_without_errors_reports_zero():
    clean = WRK_OUTPUT.replace("  Socket errors: connect 0, read 2, write 0, timeout 1\n", "")
    clean = clean.replace("  Non-2xx or 3xx responses: 4\n", "")
    result = parse_wrk(clean)
    assert (result.non_2xx, result.errors) == (0, 0)


def _result(scenario: str, rate: float, queries: int | None = 1, **extra) -> dict:
    return {
        "scenario": scenario,
        "connections": 16,
        "requests_per_second": rate,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "non_2xx": 0,
        "socket_errors": 0,
        "queries": queries,
        "worker_rss_mb": [80.0, 81.0],
        **extra,
    }


@pytest.fixture
def passing_report() -> dict:
    results = [
        _result("floor: items list", 700, 2),
        _result("floor: item retrieve", 1300, 1),
        _result("items list", 460, 3),
        _result("item retrieve", 700, 2),
        _result("item create", 600, 2),
        _result("login", 80, 2),
    ]
    return {
        "date": "2026-11-22T07:00:00+00:00",
        "commit": "abc1234",
        "quick": False,
        "workers": 2,
        "cpus": 2,
        "plan": {"seconds": 15, "warmup": 5},
        "hasher": {
            "variant": "argon2id",
            "memory_cost_kib": 19456,
            "time_cost": 2,
            "parallelism": 1,
        },
        "worker_rss_mb_final": [90.0, 91.0],
        "results": with_floor_ratios(results, scenarios(item_id="i", file_id="f")),
    }


def test_floor_ratios_compare_with_the_floor_at_the_same_connections(passing_report):
    ratios = {r["scenario"]: r["vs_floor"] for r in passing_report["results"]}
    assert ratios["items list"] == 0.66
    assert ratios["item retrieve"] == 0.54
    assert ratios["item create"] is None


def test_a_run_within_every_budget_passes(passing_report):
    assert budget_failures(passing_report) == []
    assert "| items list | 16 | 460 |" in markdown_table(passing_report)


@pytest.mark.parametrize(
    ("change", "missed"),
    [
        (lambda r: r["results"][2].update(non_2xx=1), "non-2xx"),
        (lambda r: r["results"][2].update(vs_floor=0.59), "items list at 16 connections: 0.59×"),
        (lambda r: r["results"][3].update(vs_floor=0.49), "item retrieve at 16 connections"),
        (lambda r: r["results"][4].update(queries=4), "item create: 4 SQL queries"),
        (lambda r: r["results"][5].update(requests_per_second=39.0), "login at 16 connections"),
        (lambda r: r.update(worker_rss_mb_final=[121.0]), "121.0 MB RSS"),
        (lambda r: r["hasher"].update(memory_cost_kib=1024), "OWASP"),
        (lambda r: r["hasher"].update(variant="argon2i"), "OWASP"),
    ],
)
def test_each_missed_budget_is_reported(passing_report, change, missed):
    report = copy.deepcopy(passing_report)
    change(report)
    failures = budget_failures(report)
    assert len(failures) == 1
    assert missed in failures[0]


def test_bench_gunicorn_recycles_no_worker_in_the_middle_of_a_run(monkeypatch):
    environment = _environment(argparse.Namespace(workers=2, threads=1), 8000)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    path = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"
    spec = importlib.util.spec_from_file_location("bench_gunicorn_conf", path)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)

    # gunicorn's 0: never restart a worker for its request count (production: 100,000).
    assert conf.max_requests == 0
