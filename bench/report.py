"""The results table: one row per figure of a pair, with its goal and PASS/FAIL (or "info")."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    text: str
    check: Callable[[float], bool]


def at_most(limit: float) -> Goal:
    return Goal(f"<= {limit:.2f}", lambda ratio: ratio <= limit)


def at_least(limit: float) -> Goal:
    return Goal(f">= {limit:.2f}", lambda ratio: ratio >= limit)


def below(limit: float) -> Goal:
    return Goal(f"< {limit:.2f}", lambda ratio: ratio < limit)


def equal() -> Goal:
    return Goal("== 1.00", lambda ratio: ratio == 1.0)


def within(fraction: float) -> Goal:
    return Goal(f"1 +- {fraction:.0%}", lambda ratio: abs(ratio - 1.0) <= fraction)


def fmt_seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.0f} us"


def fmt_bytes(value: float) -> str:
    if value >= 10_000_000:
        return f"{value / 1e6:.1f} MB"
    if value >= 10_000:
        return f"{value / 1e3:.1f} kB"
    return f"{value:.0f} B"


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}/s"


def fmt_megabytes(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


@dataclass(frozen=True)
class Row:
    pair: str
    measure: str
    a: str  # label: value
    b: str
    ratio: float
    goal: Goal | None

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return "info"
        return "PASS" if self.goal.check(self.ratio) else "FAIL"


def row(
    pair: str,
    measure: str,
    a: tuple[str, float],
    b: tuple[str, float] | None,
    fmt: Callable[[float], str],
    goal: Goal | None = None,
    *,
    ratio: float | None = None,
) -> Row:
    """``ratio`` defaults to a / b (0/0 counts as 1: two sides that both send nothing are equal)."""
    if ratio is None:
        if b is None:
            ratio = a[1]
        elif b[1] == 0:
            ratio = 1.0 if a[1] == 0 else math.inf
        else:
            ratio = a[1] / b[1]
    right = f"{b[0]} {fmt(b[1])}" if b is not None else ""
    return Row(pair, measure, f"{a[0]} {fmt(a[1])}", right, ratio, goal)


HEADER = ("pair", "measure", "A (median)", "B (median)", "A/B", "goal", "result")


def render(rows: Sequence[Row]) -> str:
    cells = [HEADER] + [
        (
            r.pair,
            r.measure,
            r.a,
            r.b,
            f"{r.ratio:.2f}" if math.isfinite(r.ratio) else "inf",
            r.goal.text if r.goal else "",
            r.verdict,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = []
    for index, line in enumerate(cells):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)
