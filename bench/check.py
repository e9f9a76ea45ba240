"""``make bench-check``: hold the newest benchmark result to Keel's budgets."""

import json
import sys
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"

FLOOR_RATIOS = {"items list": 0.6, "item retrieve": 0.5}
MAX_QUERIES = {"items list": 3, "item retrieve": 2, "item create": 3}
MAX_WORKER_RSS_MB = 120
MIN_LOGIN_RATE = 40
OWASP_ARGON2_MIN = {"memory_cost_kib": 19_456, "time_cost": 2}


def budget_failures(report: dict) -> list[str]:
    results = report["results"]
    failures = [
        f"{r['scenario']} at {r['connections']} connections: {r['non_2xx']} non-2xx responses"
        f" and {r['socket_errors']} socket errors"
        for r in results
        if r["non_2xx"] or r["socket_errors"]
    ]
    for r in results:
        minimum = FLOOR_RATIOS.get(r["scenario"])
        if minimum is not None and (r["vs_floor"] or 0) < minimum:
            failures.append(
                f"{r['scenario']} at {r['connections']} connections: {r['vs_floor']}× its floor"
                f" (budget {minimum}×)"
            )
        limit = MAX_QUERIES.get(r["scenario"])
        if limit is not None and (r["queries"] is None or r["queries"] > limit):
            failures.append(f"{r['scenario']}: {r['queries']} SQL queries (budget {limit})")
        if r["scenario"] == "login" and r["requests_per_second"] < MIN_LOGIN_RATE:
            failures.append(
                f"login at {r['connections']} connections: {r['requests_per_second']:.1f} req/s"
                f" (budget {MIN_LOGIN_RATE})"
            )
    biggest = max([*report["worker_rss_mb_final"], *(max(r["worker_rss_mb"]) for r in results)])
    if biggest > MAX_WORKER_RSS_MB:
        failures.append(f"a worker reached {biggest} MB RSS (budget {MAX_WORKER_RSS_MB})")
    hasher = report["hasher"]
    if hasher["variant"] != "argon2id" or any(
        hasher[key] < minimum for key, minimum in OWASP_ARGON2_MIN.items()
    ):
        failures.append(f"password hasher below OWASP's Argon2id minimum: {hasher}")
    return failures


def main() -> int:
    reports = {path: json.loads(path.read_text()) for path in RESULTS_DIR.glob("*.json")}
    if not reports:
        print("No benchmark results yet: run `make bench` first.")
        return 2
    # The newest run by its own timestamp: a fresh clone gives every file the same mtime.
    newest = max(reports, key=lambda path: reports[path]["date"])
    report = reports[newest]
    files = [newest]
    failures = budget_failures(report)
    print(f"Budgets for {files[-1].name}:")
    for failure in failures:
        print(f"  MISSED {failure}")
    if not failures:
        print("  all budgets met")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
