"""The benchmark's markdown tables and the floor ratios."""

from bench.rounds import median_ratio


def with_floor_ratios(results: list[dict], scenarios) -> list[dict]:
    """Add ``vs_floor``: the rate over its floor's at the same connection count, the
    median of the per-round ratios when both were measured in the same rounds."""
    floors = {scenario.name: scenario.floor for scenario in scenarios}
    rows = {(r["scenario"], r["connections"]): r for r in results}
    for result in results:
        floor_name = floors.get(result["scenario"])
        floor = rows.get((floor_name, result["connections"])) if floor_name else None
        result["vs_floor"] = _vs_floor(result, floor) if floor else None
    return results


def _vs_floor(result: dict, floor: dict) -> float | None:
    if len(result["rounds"]) == len(floor["rounds"]):
        return round(median_ratio(result, floor, "requests_per_second")[1], 2)
    if not floor["requests_per_second"]:
        return None
    # Measured apart (a warm-cache retrieve, once): the ratio of the two medians.
    return round(result["requests_per_second"] / floor["requests_per_second"], 2)


def with_scaling_ratios(rows: list[dict]) -> list[dict]:
    """Add ``p50_vs_smallest``: the median per-round ratio to the smallest owner's p50."""
    smallest = min(rows, key=lambda row: row["items"])
    for row in rows:
        row["p50_vs_smallest"] = round(median_ratio(row, smallest, "p50_ms")[1], 2)
    return rows


def markdown_table(report: dict) -> str:
    from bench.check import ratio_table

    plan = report["plan"]
    load = report.get("load_average", {})
    lines = [
        f"Keel {report['commit']} on {report['cpus']} CPUs, {report['workers']} gunicorn workers"
        f" x {report.get('threads', 1)} threads, {plan['seconds']} s per run after"
        f" {plan['warmup']} s warm-up, ratios over {plan['rounds']} interleaved rounds"
        + (
            f", load average {load['start'][0]:.2f} before and {load['end'][0]:.2f} after"
            if load
            else ""
        )
        + (" (QUICK smoke run: numbers not meaningful)" if report["quick"] else ""),
        "",
        "| scenario | conns | rounds | req/s | p50 ms | p99 ms | errors | SQL/req "
        "| worker RSS MB | vs floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in report["results"]:
        lines.append(
            f"| {result['scenario']} | {result['connections']} | {len(result['rounds'])} | "
            + _numbers(result)
            + f" | {_or_blank(result['vs_floor'], '{:.2f}×')} |"
        )
    hasher = report["hasher"]
    lines += [
        "",
        f"Password hasher: {hasher['variant']} m={hasher['memory_cost_kib']} KiB "
        f"t={hasher['time_cost']} p={hasher['parallelism']}"
        + _hasher_speed(hasher, report["cpus"]),
    ]
    beside = report.get("packages_beside_the_lock")
    if beside:
        lines += [
            "",
            f"Installed but not as requirements-dev.lock pins them: {', '.join(beside)}",
        ]
    lines += [
        "",
        scaling_table(report),
        "",
        ratio_table(report),
    ]
    return "\n".join(lines)


def scaling_table(report: dict) -> str:
    plan = report["plan"]
    lines = [
        f"List scaling: one owner's first page, cold, at {plan['connections'][0]} connections"
        f" ({plan['scaling_seconds']} s per run after {plan['scaling_warmup']} s warm-up,"
        f" medians of {plan['rounds']} interleaved rounds; items seeded in"
        f" {report['list_scaling_seed_seconds']:.0f} s)",
        "",
        "| owner's items | req/s | p50 ms | p99 ms | errors | SQL/req | worker RSS MB "
        "| p50 vs the smallest |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["list_scaling"]:
        lines.append(
            f"| {row['items']:,} | " + _numbers(row) + f" | {row['p50_vs_smallest']:.2f}× |"
        )
    return "\n".join(lines)


def _numbers(row: dict) -> str:
    rss = "/".join(f"{size:.0f}" for size in row["worker_rss_mb"])
    return (
        f"{row['requests_per_second']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
        f"{row['non_2xx'] + row['socket_errors']} | {_or_blank(row['queries'], '{}')} | {rss}"
    )


def _or_blank(value, spelling: str) -> str:
    return "" if value is None else spelling.format(value)


def _hasher_speed(hasher: dict, cpus: int) -> str:
    if "check_ms_all_cpus" in hasher:
        return (
            f": {hasher['check_ms']} ms a check alone, {hasher['check_ms_all_cpus']} ms each"
            f" with all {cpus} CPUs checking, so at most"
            f" {hasher['logins_per_second_ceiling']} logins/s"
        )
    if "check_ms" in hasher:  # results from before the side-by-side measurement
        return (
            f": {hasher['check_ms']} ms a check, so at most"
            f" {hasher['logins_per_second_ceiling']} logins/s on {cpus} CPUs"
        )
    return ""
