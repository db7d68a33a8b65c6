"""Rows of a benchmark table and how they print: measure, ours, baseline, ratio, target."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

Row = dict[str, Any]


def row(
    measure: str,
    ours: float,
    baseline: float,
    target: str,
    *,
    unit: str = "",
    ratio: float | None = None,
) -> Row:
    """A row comparing `ours` to `baseline`; `target` is "<= x" or ">= x" on the ratio, which
    is ours / baseline unless measured otherwise (say, as a median of paired ratios), or
    "context" for a ratio shown without a target (passed is then None)."""
    if ratio is None:
        ratio = ours / baseline if baseline else float("inf")
    passed: bool | None = None
    if target != "context":
        bound = float(target.split()[-1])
        passed = ratio <= bound if target.startswith("<=") else ratio >= bound
    return {
        "measure": measure,
        "ours": f"{ours:.3g}{unit}",
        "baseline": f"{baseline:.3g}{unit}",
        "ratio": round(ratio, 3),
        "target": target,
        "passed": passed,
    }


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def print_table(rows: list[Row], title: str = "") -> None:
    columns = ["measure", "ours", "baseline", "ratio", "target", "passed"]
    cells = [[str(r[c]) if c != "passed" else _verdict(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    if title:
        print(title)
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in cells:
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)))


def _verdict(passed: bool | None) -> str:
    return "-" if passed is None else "pass" if passed else "FAIL"
