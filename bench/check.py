"""``make bench-check``: hold the newest benchmark result to Keel's budgets.

The speed budgets are ratios within one run (issue 15), so they hold on any machine:
each is the median of at least ``MIN_ROUNDS`` interleaved rounds of its two sides
(``bench.rounds``). The others are absolute: no errors (at 64 connections too), worker
memory, the password hasher's cost and the login rate it allows, SQL per request.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from accounts.hashers import meets_owasp_minimum
from bench.rounds import median_ratio
from bench.scenarios import (
    COLD_LIST,
    COLD_RETRIEVE,
    CREATE,
    CREATE_WITHOUT_LIVE_UPDATES,
    FLOOR_CREATE,
    FLOOR_LIST,
    FLOOR_RETRIEVE,
    WARM_LIST,
    deep_page_name,
    scaling_scenario,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"

MIN_ROUNDS = 3
DEEP_PAGE = 400
SCALING_SMALLEST, SCALING_LARGEST = 1_000, 1_000_000
MAX_WORKER_RSS_MB = 120
MIN_LOGIN_RATE = 60
# Every statement one request sends (bench.queries): a cold list or page is its page's
# query alone (no COUNT, the user from the auth cache, no SELECT 1), a warm-cache one
# none; a retrieve is one SELECT, a create one INSERT.
MAX_QUERIES = {
    COLD_LIST: 1,
    deep_page_name(DEEP_PAGE): 1,
    WARM_LIST: 0,
    COLD_RETRIEVE: 1,
    "item retrieve (warm cache)": 0,
    CREATE: 1,
    CREATE_WITHOUT_LIVE_UPDATES: 1,
}


@dataclass(frozen=True)
class RatioBudget:
    numerator: str  # a scenario measured in the rounds
    denominator: str
    metric: str  # "requests_per_second" (at least the limit) or "p50_ms" (at most)
    limit: float

    @property
    def at_least(self) -> bool:
        return self.metric == "requests_per_second"

    @property
    def label(self) -> str:
        what = "req/s" if self.at_least else "p50"
        return f"{self.numerator} ÷ {self.denominator}, {what}"

    def met_by(self, ratio: float) -> bool:
        return ratio >= self.limit if self.at_least else ratio <= self.limit

    def limit_text(self) -> str:
        return f"{'≥' if self.at_least else '≤'} {self.limit}×"


def ratio_budgets(*, deep_page: int, smallest: int, largest: int) -> list[RatioBudget]:
    """The issue's budgets, for a run whose deep page and scaling sizes are these."""
    rate, p50 = "requests_per_second", "p50_ms"
    return [
        RatioBudget(COLD_LIST, FLOOR_LIST, rate, 1.0),
        RatioBudget(COLD_RETRIEVE, FLOOR_RETRIEVE, rate, 0.85),
        RatioBudget(WARM_LIST, FLOOR_LIST, rate, 1.5),
        RatioBudget(CREATE, FLOOR_CREATE, rate, 0.8),
        # Live updates (issue 16) cost a write its event's PUBLISH, within this box's noise.
        RatioBudget(CREATE, CREATE_WITHOUT_LIVE_UPDATES, rate, 0.9),
        RatioBudget(deep_page_name(deep_page), COLD_LIST, p50, 1.2),
        RatioBudget(scaling_scenario(largest).name, scaling_scenario(smallest).name, p50, 1.2),
    ]


@dataclass(frozen=True)
class RatioMeasured:
    budget: RatioBudget
    rounds: list[float]
    median: float | None  # None: a side was not measured

    @property
    def met(self) -> bool:
        return self.median is not None and self.budget.met_by(self.median)


def ratios_measured(report: dict) -> list[RatioMeasured]:
    """Each ratio budget's rounds and median in ``report``, for the sizes it measured."""
    plan = report["plan"]
    sizes = plan["scaling_items"]
    budgets = ratio_budgets(deep_page=plan["deep_page"], smallest=min(sizes), largest=max(sizes))
    rows = _rows_in_rounds(report)
    measured = []
    for budget in budgets:
        top, bottom = rows.get(budget.numerator), rows.get(budget.denominator)
        if top is None or bottom is None:
            measured.append(RatioMeasured(budget, [], None))
            continue
        ratios, median = median_ratio(top, bottom, budget.metric)
        measured.append(RatioMeasured(budget, ratios, median))
    return measured


def budget_failures(report: dict) -> list[str]:
    rows = [*report["results"], *report["list_scaling"]]
    failures = _plan_failures(report)
    failures += [
        f"{r['scenario']} at {r['connections']} connections: {r['non_2xx']} non-2xx responses"
        f" and {r['socket_errors']} socket errors"
        for r in rows
        if r["non_2xx"] or r["socket_errors"]
    ]
    for ratio in ratios_measured(report):
        if ratio.median is None:
            failures.append(f"{ratio.budget.label}: not measured")
        elif len(ratio.rounds) < MIN_ROUNDS:
            failures.append(
                f"{ratio.budget.label}: {len(ratio.rounds)} rounds (budgets need {MIN_ROUNDS})"
            )
        elif not ratio.met:
            failures.append(
                f"{ratio.budget.label}: {ratio.median}× (budget {ratio.budget.limit_text()},"
                f" rounds {', '.join(f'{value}' for value in ratio.rounds)})"
            )
    for scenario, limit in MAX_QUERIES.items():
        counted = [r["queries"] for r in report["results"] if r["scenario"] == scenario]
        worst = None if None in counted or not counted else max(counted)
        if worst is None or worst > limit:
            failures.append(f"{scenario}: {worst} SQL queries (budget {limit})")
    for r in report["results"]:
        if r["scenario"] == "login" and r["requests_per_second"] < MIN_LOGIN_RATE:
            failures.append(
                f"login at {r['connections']} connections: {r['requests_per_second']:.1f} req/s"
                f" (budget {MIN_LOGIN_RATE})"
            )
    biggest = max(
        [
            *report["worker_rss_mb_final"],
            *(max(m["worker_rss_mb"], default=0.0) for r in rows for m in r["rounds"]),
        ]
    )
    if biggest > MAX_WORKER_RSS_MB:
        failures.append(f"a worker reached {biggest} MB RSS (budget {MAX_WORKER_RSS_MB})")
    hasher = report["hasher"]
    if hasher["variant"] != "argon2id" or not meets_owasp_minimum(
        memory_cost_kib=hasher["memory_cost_kib"], time_cost=hasher["time_cost"]
    ):
        failures.append(f"password hasher below OWASP's Argon2id minimum: {hasher}")
    return failures


def _plan_failures(report: dict) -> list[str]:
    """A run too short to be held to the budgets says so (a QUICK run, an edited plan)."""
    plan, failures = report["plan"], []
    if report["quick"]:
        failures.append("a QUICK smoke run: its numbers are not meaningful")
    if plan["rounds"] < MIN_ROUNDS:
        failures.append(f"{plan['rounds']} rounds per ratio (budgets need {MIN_ROUNDS})")
    if plan["deep_page"] != DEEP_PAGE:
        failures.append(f"deep page {plan['deep_page']} measured (budget: page {DEEP_PAGE})")
    if not {SCALING_SMALLEST, SCALING_LARGEST} <= set(plan["scaling_items"]):
        failures.append(
            f"list scaling measured at {plan['scaling_items']} items"
            f" (budget: {SCALING_SMALLEST:,} and {SCALING_LARGEST:,})"
        )
    if 64 not in plan["connections"]:
        failures.append("nothing measured at 64 connections")
    return failures


def _rows_in_rounds(report: dict) -> dict[str, dict]:
    """The rows measured in the rounds (and the scaling table's), by scenario name."""
    at = _round_connections(report)
    rows = {r["scenario"]: r for r in report["results"] if r["connections"] == at}
    rows.update({r["scenario"]: r for r in report["list_scaling"]})
    return rows


def _round_connections(report: dict) -> int:
    return report["plan"]["connections"][0]


def ratio_table(report: dict) -> str:
    lines = [
        f"| budget (median of {report['plan']['rounds']} interleaved rounds) | rounds "
        "| median | limit | |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for ratio in ratios_measured(report):
        # Three places, as the budgets compare them: 0.998 is a miss that 1.00 would hide.
        median = "not measured" if ratio.median is None else f"{ratio.median:.3f}×"
        rounds = ", ".join(f"{value:.3f}" for value in ratio.rounds)
        lines.append(
            f"| {ratio.budget.label} | {rounds} | {median} | {ratio.budget.limit_text()} "
            f"| {'met' if ratio.met else 'MISSED'} |"
        )
    return "\n".join(lines)


def main() -> int:
    reports = {path: json.loads(path.read_text()) for path in RESULTS_DIR.glob("*.json")}
    if not reports:
        print("No benchmark results yet: run `make bench` first.")
        return 2
    # The newest run by its own timestamp: a fresh clone gives every file the same mtime.
    newest = max(reports, key=lambda path: reports[path]["date"])
    report = reports[newest]
    print(f"Budgets for {newest.name}:")
    if "list_scaling" not in report:
        print("  MISSED a result from before the ratio rounds and list scaling: run make bench")
        return 1
    print(ratio_table(report))
    failures = budget_failures(report)
    for failure in failures:
        print(f"  MISSED {failure}")
    if not failures:
        print("  all budgets met")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
