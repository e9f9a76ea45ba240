"""The benchmark's markdown table and the floor ratios."""


def with_floor_ratios(results: list[dict], scenarios) -> list[dict]:
    """Add ``vs_floor``: the rate over its floor's rate at the same connection count."""
    floors = {scenario.name: scenario.floor for scenario in scenarios}
    rate = {(r["scenario"], r["connections"]): r["requests_per_second"] for r in results}
    for result in results:
        floor = floors.get(result["scenario"])
        floor_rate = rate.get((floor, result["connections"])) if floor else None
        result["vs_floor"] = (
            round(result["requests_per_second"] / floor_rate, 2) if floor_rate else None
        )
    return results


def markdown_table(report: dict) -> str:
    lines = [
        f"Keel {report['commit']} on {report['cpus']} CPUs, {report['workers']} gunicorn workers"
        f" x {report.get('threads', 1)} threads, "
        f"{report['plan']['seconds']} s per run after {report['plan']['warmup']} s warm-up"
        + (" (QUICK smoke run: numbers not meaningful)" if report["quick"] else ""),
        "",
        "| scenario | conns | req/s | p50 ms | p99 ms | non-2xx | SQL/req | worker RSS MB "
        "| vs floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in report["results"]:
        rss = "/".join(f"{size:.0f}" for size in result["worker_rss_mb"])
        vs_floor = f"{result['vs_floor']:.2f}×" if result["vs_floor"] is not None else ""
        queries = "" if result["queries"] is None else str(result["queries"])
        lines.append(
            f"| {result['scenario']} | {result['connections']} | "
            f"{result['requests_per_second']:.0f} | {result['p50_ms']:.2f} | "
            f"{result['p99_ms']:.2f} | {result['non_2xx'] + result['socket_errors']} | "
            f"{queries} | {rss} | {vs_floor} |"
        )
    hasher = report["hasher"]
    lines += [
        "",
        f"Password hasher: {hasher['variant']} m={hasher['memory_cost_kib']} KiB "
        f"t={hasher['time_cost']} p={hasher['parallelism']}",
    ]
    return "\n".join(lines)
