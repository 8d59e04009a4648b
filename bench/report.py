"""The one table the benchmarks print, and RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("#", "Measure", "Provider", "Baseline", "Result", "Target", "Met")


@dataclass(frozen=True)
class Row:
    section: str
    measure: str
    provider: str
    baseline: str
    result: str
    target: str
    #: None: a figure reported for information, with no target of its own
    met: bool | None = None

    def cells(self) -> tuple[str, ...]:
        met = "-" if self.met is None else ("yes" if self.met else "NO")
        return (self.section, self.measure, self.provider, self.baseline, self.result, self.target, met)


def table(rows: Sequence[Row]) -> str:
    """A Markdown table, padded so that it also reads as plain text."""
    cells = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(COLUMNS), rule, *(line(row.cells()) for row in rows)])


def machine() -> str:
    cpus = os.cpu_count() or 0
    return f"{cpus} CPUs, {platform.machine()}, {platform.system()}, Python {platform.python_version()}"


def results_markdown(rows: Sequence[Row], *, settings: str, wall_seconds: float, notes: Sequence[str]) -> str:
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# Benchmark results",
        "",
        f"Run {today} on {machine()}; `python -m bench` took {wall_seconds:,.0f} s.",
        "",
        f"Settings: {settings}.",
        "",
        table(rows),
        "",
    ]
    if notes:
        parts += ["Notes:", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(parts)


def write_results(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
