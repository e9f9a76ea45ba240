"""The benchmark's pure parts: reading wrk's report, the rounds and their medians, the
tables, and holding results to the budgets."""

import argparse
import copy
import importlib.util
import os
from pathlib import Path

import pytest

from bench import scenarios as names
from bench.check import MAX_QUERIES, budget_failures, ratio_budgets
from bench.report import markdown_table, with_floor_ratios, with_scaling_ratios
from bench.rounds import interleaved_rounds, median_ratio, summarized
from bench.run import FULL, QUICK, _environment, _hasher_parameters
from bench.scenarios import deep_page_name, scaling_scenario, scenarios
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


# --- rounds --------------------------------------------------------------------------------


def _measurement(rate: float, p50: float = 1.0, **extra) -> dict:
    return {
        "requests_per_second": rate,
        "p50_ms": p50,
        "p99_ms": p50 * 2,
        "requests": int(rate * 10),
        "non_2xx": 0,
        "socket_errors": 0,
        "worker_rss_mb": [80.0, 81.0],
        **extra,
    }


def test_rounds_measure_every_subject_once_per_round_in_turn():
    calls = []

    def measure(subject):
        calls.append(subject)
        return _measurement(float(len(calls)))

    measured = interleaved_rounds(["scenario", "floor"], 3, measure)

    assert calls == ["scenario", "floor"] * 3
    # Each subject's measurements, round by round.
    assert [[m["requests_per_second"] for m in ms] for ms in measured] == [
        [1.0, 3.0, 5.0],
        [2.0, 4.0, 6.0],
    ]


def test_a_row_is_the_median_of_its_rounds_with_counts_summed():
    rounds = [
        _measurement(500, p50=30, non_2xx=1),
        _measurement(100, p50=90, worker_rss_mb=[95.0, 80.0]),
        _measurement(480, p50=31),
    ]
    row = summarized(rounds)

    # One disturbed round (100 req/s) moves neither median.
    assert (row["requests_per_second"], row["p50_ms"], row["p99_ms"]) == (480, 31, 62)
    assert (row["requests"], row["non_2xx"]) == (10_800, 1)
    assert row["worker_rss_mb"] == [95.0, 80.0]
    assert row["rounds"] == rounds


def test_a_ratio_is_the_median_of_the_ratios_of_the_same_rounds():
    # The machine slowed down in round 2: both sides did, and the ratio held.
    scenario = summarized([_measurement(600), _measurement(300), _measurement(590)])
    floor = summarized([_measurement(500), _measurement(250), _measurement(610)])

    ratios, median = median_ratio(scenario, floor, "requests_per_second")

    assert ratios == [1.2, 1.2, 0.967]
    assert median == 1.2
    # The ratio of the medians would have been 590 / 500: a round's numbers are only
    # ever compared with the same round's.
    assert median != round(scenario["requests_per_second"] / floor["requests_per_second"], 3)


# --- the report and the budgets -----------------------------------------------------------


def _row(name: str, rates: list[float], p50s: list[float] | None = None, **extra) -> dict:
    p50s = p50s or [16_000 / rate for rate in rates]
    return {
        "scenario": name,
        "connections": 16,
        **summarized([_measurement(r, p) for r, p in zip(rates, p50s, strict=True)]),
        "queries": MAX_QUERIES.get(name, 1),
        **extra,
    }


def _scaling_row(items: int, p50s: list[float]) -> dict:
    return {
        "items": items,
        **_row(scaling_scenario(items).name, [16_000 / p50 for p50 in p50s], p50s),
    }


@pytest.fixture
def passing_report() -> dict:
    plan_scenarios = scenarios(item_id="i", file_id="f", deep_page=400, deep_path="/deep")
    results = [
        _row(names.FLOOR_LIST, [700, 650, 720]),
        _row(names.COLD_LIST, [760, 700, 730]),
        _row(deep_page_name(400), [740, 690, 735]),
        _row(names.WARM_LIST, [1500, 1400, 1450]),
        _row(names.FLOOR_RETRIEVE, [1300, 1250, 1310]),
        _row(names.COLD_RETRIEVE, [1200, 1100, 1150]),
        _row(names.FLOOR_CREATE, [900, 850, 880]),
        _row(names.CREATE, [800, 700, 720]),
        _row(names.CREATE_WITHOUT_LIVE_UPDATES, [820, 740, 740]),
        _row("item retrieve (warm cache)", [1400]),
        _row("login", [80]),
        _row("login", [75], connections=64),
        _row(names.COLD_LIST, [700], connections=64),
    ]
    return {
        "date": "2026-12-01T07:00:00+00:00",
        "commit": "abc1234",
        "quick": False,
        "workers": 2,
        "cpus": 2,
        "plan": {**FULL},
        "hasher": {
            "variant": "argon2id",
            "memory_cost_kib": 19456,
            "time_cost": 2,
            "parallelism": 1,
        },
        "worker_rss_mb_final": [90.0, 91.0],
        "results": with_floor_ratios(results, plan_scenarios),
        "list_scaling_seed_seconds": 30.0,
        "list_scaling": with_scaling_ratios(
            [
                _scaling_row(1_000, [20.0, 22.0, 21.0]),
                _scaling_row(10_000, [20.5, 22.0, 21.0]),
                _scaling_row(100_000, [21.0, 22.5, 21.5]),
                _scaling_row(1_000_000, [21.0, 23.0, 22.0]),
            ]
        ),
    }


def _result(report: dict, name: str, connections: int = 16) -> dict:
    return next(
        r for r in report["results"] if (r["scenario"], r["connections"]) == (name, connections)
    )


def test_floor_ratios_are_medians_of_round_ratios_at_the_same_connections(passing_report):
    assert _result(passing_report, names.COLD_LIST)["vs_floor"] == 1.08
    assert _result(passing_report, names.WARM_LIST)["vs_floor"] == 2.14
    # Measured once, beside a floor measured in rounds: the ratio of the medians.
    assert _result(passing_report, "item retrieve (warm cache)")["vs_floor"] == 1.08
    # No floor at 64 connections, and none for a deep page or a login.
    assert _result(passing_report, names.COLD_LIST, 64)["vs_floor"] is None
    assert _result(passing_report, deep_page_name(400))["vs_floor"] is None


def test_a_run_within_every_budget_passes(passing_report):
    assert budget_failures(passing_report) == []
    table = markdown_table(passing_report)
    assert "| items list (cold) | 16 | 3 | 730 |" in table
    assert "| 1,000,000 | 727 | 22.00 |" in table
    assert (
        "| items list (cold) ÷ floor: items list, req/s | 1.086, 1.077, 1.014 | 1.077× "
        "| ≥ 1.0× | met |"
    ) in table


def _set_rounds(name: str, rates: list[float], p50s: list[float] | None = None):
    def change(report):
        row = _row(name, rates, p50s)
        target = _result(report, name)
        target.update({key: row[key] for key in ("rounds", "requests_per_second", "p50_ms")})

    return change


def _set_scaling(items: int, p50s: list[float]):
    def change(report):
        row = next(r for r in report["list_scaling"] if r["items"] == items)
        row.update(_scaling_row(items, p50s))

    return change


@pytest.mark.parametrize(
    ("change", "missed"),
    [
        # Each ratio budget: its median, not one round, decides.
        (
            _set_rounds(names.COLD_LIST, [690, 600, 800]),
            "items list (cold) ÷ floor: items list, req/s: 0.986× (budget ≥ 1.0×",
        ),
        (_set_rounds(names.COLD_RETRIEVE, [1100, 1000, 1300]), "item retrieve (cold) ÷ floor"),
        (_set_rounds(names.WARM_LIST, [1000, 900, 2000]), "items list (warm cache) ÷ floor"),
        (_set_rounds(names.CREATE, [700, 670, 900]), "item create ÷ floor: item create"),
        (
            _set_rounds(names.CREATE_WITHOUT_LIVE_UPDATES, [1000, 900, 1000]),
            "item create ÷ item create (live updates off), req/s: 0.778× (budget ≥ 0.9×",
        ),
        (
            _set_rounds(deep_page_name(400), [700, 500, 600], [26, 28, 23]),
            "items page 400 (cold) ÷ items list (cold), p50: 1.225×",
        ),
        (
            _set_scaling(1_000_000, [25.0, 27.0, 21.0]),
            "1,000,000 items ÷ items list (cold), 1,000 items, p50: 1.227× (budget ≤ 1.2×",
        ),
        (
            lambda r: r["results"][6]["rounds"].pop(),
            "item create ÷ floor: item create, req/s: 2 rounds (budgets need 3)",
        ),
        (lambda r: r["results"][1].update(non_2xx=1), "items list (cold) at 16 connections: 1"),
        (lambda r: r["results"][-1].update(socket_errors=2), "at 64 connections: 0 non-2xx"),
        (lambda r: r["list_scaling"][3].update(non_2xx=3), "1,000,000 items at 16 connections"),
        (lambda r: r["results"][1].update(queries=2), "items list (cold): 2 SQL queries"),
        (lambda r: r["results"][3].update(queries=1), "items list (warm cache): 1 SQL quer"),
        (lambda r: r["results"][7].update(queries=None), "item create: None SQL queries"),
        (lambda r: r["results"][11].update(requests_per_second=59.0), "login at 64 connections"),
        (lambda r: r.update(worker_rss_mb_final=[121.0]), "121.0 MB RSS"),
        (lambda r: r["results"][5]["rounds"][1].update(worker_rss_mb=[130.0]), "130.0 MB RSS"),
        (lambda r: r["hasher"].update(memory_cost_kib=1024), "OWASP"),
        (lambda r: r["hasher"].update(variant="argon2i"), "OWASP"),
        (lambda r: r["hasher"].update(memory_cost_kib=7168, time_cost=4), "OWASP"),
    ],
)
def test_each_missed_budget_is_reported(passing_report, change, missed):
    report = copy.deepcopy(passing_report)
    change(report)
    failures = budget_failures(report)
    assert len(failures) == 1, failures
    assert missed in failures[0]


@pytest.mark.parametrize(("memory", "passes"), [(7168, 5), (12288, 3), (47104, 1)])
def test_any_of_owasps_equal_argon2id_minimums_passes(passing_report, memory, passes):
    report = copy.deepcopy(passing_report)
    report["hasher"].update(memory_cost_kib=memory, time_cost=passes)
    assert budget_failures(report) == []


def test_a_ratio_with_a_side_not_measured_is_missed(passing_report):
    report = copy.deepcopy(passing_report)
    report["results"] = [r for r in report["results"] if r["scenario"] != names.FLOOR_CREATE]

    assert budget_failures(report) == ["item create ÷ floor: item create, req/s: not measured"]


@pytest.mark.parametrize(
    ("plan", "missed"),
    [
        ({"rounds": 2}, "2 rounds per ratio (budgets need 3)"),
        ({"deep_page": 40}, "deep page 40 measured (budget: page 400)"),
        ({"scaling_items": [1_000, 100_000]}, "(budget: 1,000 and 1,000,000)"),
        ({"connections": [16]}, "nothing measured at 64 connections"),
    ],
)
def test_a_run_shorter_than_the_budgets_ask_is_not_held_to_them(passing_report, plan, missed):
    report = copy.deepcopy(passing_report)
    report["plan"].update(plan)
    assert any(missed in failure for failure in budget_failures(report))


def test_a_quick_run_never_meets_the_budgets(passing_report):
    report = copy.deepcopy(passing_report)
    report["quick"] = True
    assert "QUICK" in budget_failures(report)[0]


def test_every_ratio_budget_compares_scenarios_measured_in_the_same_rounds():
    plan_scenarios = {
        s.name: s for s in scenarios(item_id="i", file_id="f", deep_page=400, deep_path="/d")
    }
    scaling = {scaling_scenario(size).name for size in FULL["scaling_items"]}
    for budget in ratio_budgets(deep_page=400, smallest=1_000, largest=1_000_000):
        for side in (budget.numerator, budget.denominator):
            assert side in scaling or plan_scenarios[side].in_rounds, side
    for scenario in plan_scenarios.values():
        if scenario.floor and scenario.in_rounds:
            assert plan_scenarios[scenario.floor].in_rounds


def test_the_full_plan_measures_what_the_budgets_ask_and_the_quick_one_stays_short():
    assert FULL["rounds"] >= 3
    assert FULL["deep_page"] == 400
    assert FULL["items"] >= 20 * FULL["deep_page"]  # the 400th page exists
    assert {1_000, 10_000, 100_000, 1_000_000} == set(FULL["scaling_items"])
    assert 64 in FULL["connections"]
    assert QUICK["items"] >= 20 * QUICK["deep_page"]
    in_rounds = sum(
        s.in_rounds for s in scenarios(item_id="", file_id="", deep_page=1, deep_path="")
    )
    quick_seconds = (
        len(scenarios(item_id="", file_id="", deep_page=1, deep_path=""))
        * (QUICK["warmup"] + QUICK["seconds"])
        + in_rounds * (QUICK["rounds"] - 1) * (QUICK["warmup"] + QUICK["seconds"])
        + len(QUICK["scaling_items"]) * (QUICK["scaling_warmup"] + QUICK["scaling_seconds"])
    )
    assert quick_seconds <= 90  # CI's smoke run: wrk's share of about a minute and a half


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


def test_the_hashers_ceiling_is_measured_with_every_cpu_checking(settings):
    from config.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    settings.ARGON2_MEMORY_COST_KIB, settings.ARGON2_TIME_COST = 1024, 1  # quick checks

    hasher = _hasher_parameters()

    assert (hasher["variant"], hasher["memory_cost_kib"], hasher["time_cost"]) == (
        "argon2id",
        1024,
        1,
    )
    assert hasher["check_ms"] > 0
    assert hasher["check_ms_all_cpus"] > 0
    cpus = os.cpu_count() or 1
    assert hasher["logins_per_second_ceiling"] == pytest.approx(
        cpus * 1000 / hasher["check_ms_all_cpus"], rel=0.01
    )


def test_the_report_names_the_hashers_speed_alone_and_side_by_side(passing_report):
    report = copy.deepcopy(passing_report)
    report["hasher"].update(check_ms=20.0, check_ms_all_cpus=25.0, logins_per_second_ceiling=80.0)

    assert (
        "argon2id m=19456 KiB t=2 p=1: 20.0 ms a check alone, 25.0 ms each with all 2 CPUs "
        "checking, so at most 80.0 logins/s"
    ) in markdown_table(report)
