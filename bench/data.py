"""Recipient files: distinct valid mobile numbers, one per line, as a user's export would hold them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

#: (prefix, first subscriber number): country code and national prefix digits of valid mobiles.
#: Singapore 9xxxxxxx, Australia 4[0-3]xxxxxxx and UK 7[1-3]xxxxxxxx (+44 is shared by four
#: regions, so its numbers take the slower several-regions path of the validation).
_RANGES = (("65", 90_000_000), ("61", 400_000_000), ("44", 7_100_000_000))
#: of every ten numbers: six Singapore, three Australia, one UK
_MIX = (0, 0, 1, 0, 0, 1, 0, 1, 0, 2)


def numbers(count: int) -> Iterator[str]:
    """``count`` distinct valid numbers, international digits without a plus, in a fixed order.

    None ends in 0000, which the simulator treats as undeliverable: every message is delivered.
    """
    used = [0, 0, 0]
    for position in range(count):
        which = _MIX[position % len(_MIX)]
        prefix, first = _RANGES[which]
        if (first + used[which]) % 10_000 == 0:
            used[which] += 1
        yield f"{prefix}{first + used[which]}"
        used[which] += 1


def write_numbers(path: Path, count: int) -> Path:
    """Write ``count`` numbers to ``path`` (reused when it already holds exactly them)."""
    if path.exists() and _line_count(path) == count:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        chunk: list[str] = []
        for number in numbers(count):
            chunk.append(number)
            if len(chunk) == 10_000:
                out.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            out.write("\n".join(chunk) + "\n")
    return path


def read_numbers(path: Path) -> Iterator[str]:
    with path.open() as lines:
        for line in lines:
            if number := line.strip():
                yield number


def _line_count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
