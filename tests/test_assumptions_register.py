"""The assumptions register and the code that rests on it stay in step.

Every ``ASSUMPTION`` in the package names the register entries it rests on
(``ASSUMPTION [NX-2]``); every entry of ``docs/vendor-assumptions.md`` is named by
some code, and every entry says where it came from and how the provider fails safe.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "docs" / "vendor-assumptions.md"
PACKAGE = ROOT / "airflow_provider_nxcloud"

ENTRY = re.compile(r"^\| ((?:NX|BK|FD|X|SIM)-\d+) \| (.+) \|$")
MARKER = re.compile(r"ASSUMPTIONs?(?: \[([A-Z]+-\d+(?:, [A-Z]+-\d+)*)\])?")


def register() -> dict[str, list[str]]:
    """``{id: its cells}`` from the register's tables."""
    entries: dict[str, list[str]] = {}
    for line in REGISTER.read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line.strip())
        if match:
            assert match.group(1) not in entries, f"{match.group(1)} is in the register twice"
            entries[match.group(1)] = [cell.strip() for cell in match.group(2).split(" | ")]
    return entries


def markers() -> list[tuple[str, int, str | None]]:
    """``(file, line, ids or None)`` for every ASSUMPTION in the package's code."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in MARKER.finditer(line):
                found.append((str(path.relative_to(ROOT)), number, match.group(1)))
    return found


def test_the_register_has_entries_for_each_platform() -> None:
    prefixes = {entry.split("-")[0] for entry in register()}
    assert prefixes == {"NX", "BK", "FD", "X", "SIM"}


def test_every_marker_names_a_register_entry() -> None:
    entries = register()
    unnamed = [f"{file}:{line}" for file, line, ids in markers() if ids is None]
    assert not unnamed, f"ASSUMPTION without a register id: {unnamed}"
    unknown = [
        f"{file}:{line} {entry}"
        for file, line, ids in markers()
        for entry in (ids or "").split(", ")
        if entry not in entries
    ]
    assert not unknown, f"ASSUMPTION ids missing from docs/vendor-assumptions.md: {unknown}"


def test_every_register_entry_is_named_by_code() -> None:
    named = {entry for _, _, ids in markers() for entry in (ids or "").split(", ")}
    orphans = sorted(set(register()) - named)
    assert not orphans, f"register entries no code names: {orphans}"


@pytest.mark.parametrize("entry", sorted(register()))
def test_every_entry_says_where_it_came_from_and_how_it_fails_safe(entry: str) -> None:
    cells = register()[entry]
    expected = 2 if entry.startswith("SIM-") else 4
    assert len(cells) == expected, (entry, cells)
    assert all(len(cell) >= 10 for cell in cells), (entry, cells)
