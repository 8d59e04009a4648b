"""The table: one row per (platform, window), printed and written as Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tests.reliability.runtime.windows import Row

COLUMNS = (
    "platform",
    "window",
    "recipients",
    "tries",
    "faults injected by kind",
    "kills",
    "person (skip/resend/fail)",
    "backoff slept",
    "lost",
    "duplicated",
    "final task state",
    "wall time",
)


def _faults(faults: Mapping[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(faults.items())) or "0"


def cells(row: Row) -> list[str]:
    person = "/".join(str(row.decisions.get(option, 0)) for option in ("skip", "resend", "fail"))
    state = row.state
    if not row.happened:
        state += " (WINDOW DID NOT HAPPEN)"
    elif row.state != row.expected_state:
        state += f" (expected {row.expected_state})"
    lost = str(row.lost)
    if row.unsent_by_design:
        lost += f" ({row.unsent_by_design:,} unsent by design)"
    return [
        row.platform,
        row.window,
        f"{row.recipients:,}",
        str(row.tries),
        _faults(row.faults),
        str(row.kills),
        person,
        f"{row.backoff_s:.1f} s",
        lost,
        str(row.duplicated),
        state,
        f"{row.seconds:.1f} s",
    ]


def text_table(rows: Sequence[Row]) -> str:
    table = [list(COLUMNS), *(cells(row) for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip() for r in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def evidence(rows: Sequence[Row]) -> str:
    out = []
    for row in rows:
        out.append(f"* **{row.platform} / {row.window}** ({row.dag_id}):")
        out += [f"  * {line}" for line in row.evidence]
        if row.failure:
            what = "task failed" if row.state == "failed" else "check failed"
            out.append(f"  * {what}: {row.failure}")
    return "\n".join(out)
