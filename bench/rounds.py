"""Interleaved rounds, and the medians that make their numbers.

One wrk run of a few seconds on a shared 2-core machine moves by ±10% from one run to
the next; a ratio of two such runs taken minutes apart moves by more. So the scenarios
a budget compares run in rounds, each once per round in the same order (scenario,
floor, scenario, floor, …), and a ratio is the median of its per-round ratios: both
sides of each ratio are measured seconds apart, under the same load, and one disturbed
round cannot move the median.
"""

import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar

Subject = TypeVar("Subject")

# What one wrk run reports (bench.run._measure): the numbers a row summarizes.
MEDIAN_FIELDS = ("requests_per_second", "p50_ms", "p99_ms")
SUMMED_FIELDS = ("requests", "non_2xx", "socket_errors")


def interleaved_rounds(
    subjects: Sequence[Subject], rounds: int, measure: Callable[[Subject], dict]
) -> list[list[dict]]:
    """Measure every subject once per round, in order, ``rounds`` times: for each subject
    (in ``subjects``' order) the list of its measurements, one per round."""
    measured: list[list[dict]] = [[] for _ in subjects]
    for _ in range(rounds):
        for position, subject in enumerate(subjects):
            measured[position].append(measure(subject))
    return measured


def summarized(measurements: list[dict]) -> dict:
    """A row's numbers from its rounds: median rate and latencies, summed counts, the
    largest worker sizes seen, and the rounds themselves."""
    row = {field: statistics.median(m[field] for m in measurements) for field in MEDIAN_FIELDS}
    row.update({field: sum(m[field] for m in measurements) for field in SUMMED_FIELDS})
    row["worker_rss_mb"] = max((m["worker_rss_mb"] for m in measurements), key=_largest)
    row["rounds"] = measurements
    return row


def median_ratio(numerator: dict, denominator: dict, metric: str) -> tuple[list[float], float]:
    """Round by round, ``numerator``'s ``metric`` over ``denominator``'s; and their median.

    Both rows were measured in the same rounds: the i-th round of one is compared with
    the i-th round of the other, never with another round's.
    """
    ratios = [
        round(top[metric] / bottom[metric], 3) if bottom[metric] else float("inf")
        for top, bottom in zip(numerator["rounds"], denominator["rounds"], strict=False)
    ]
    if not ratios:
        raise ValueError("no rounds to compare")
    return ratios, round(statistics.median(ratios), 3)


def _largest(sizes: list[float]) -> float:
    return max(sizes, default=0.0)
