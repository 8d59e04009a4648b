"""Where an export's records go: one part object per page, merged into the interval's file at the end.

Object stores have no append and no rename. A page is therefore written as its own small
object (``<file>.parts/w0003-p000012.jsonl``) *before* the page is recorded as written,
so a try that dies never leaves a recorded page without its lines. At the end the parts
the progress names are streamed, in window and page order, into one temporary object
(``<file>.incomplete``) which is then moved to the file's path: on a local file system
that is ``os.rename`` (atomic, replacing an earlier file); on an object store fsspec's
move is a server-side copy then a delete, and an object store's write is all or nothing,
so a reader sees the earlier file or the whole new one, never part of one. The parts are
removed last. Memory stays one line deep whatever the record count.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError


def as_path(value: Any) -> Any:
    """``value`` as an ``ObjectStoragePath`` (a plain local path reads as one)."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    return value if isinstance(value, ObjectStoragePath) else ObjectStoragePath(str(value))


def record_line(record: Mapping[str, Any]) -> str:
    """One JSON Lines line: keys in the schema's order, text as it is (no ASCII escapes)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


class IntervalFile:
    """The interval's file at ``path``, its page parts beside it and its temporary object."""

    def __init__(self, path: Any) -> None:
        self.path = as_path(path)

    @property
    def parts(self) -> Any:
        return self.path.parent / f"{self.path.name}.parts"

    @property
    def incomplete(self) -> Any:
        return self.path.parent / f"{self.path.name}.incomplete"

    def part(self, window: int, page: int) -> Any:
        return self.parts / f"w{window:04d}-p{page:06d}.jsonl"

    def check_writable(self) -> None:
        """Fail before the first vendor request when the file's place cannot be written."""
        try:
            if self.path.is_dir():
                raise InvalidInputError("output_path", f"{self.path} is a directory; give a file's path")
            self.parts.mkdir(parents=True, exist_ok=True)
            probe = self.parts / "probe"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InvalidInputError("output_path", f"cannot be written at {self.path}: {reason}") from exc

    def write_page(self, window: int, page: int, records: Iterable[Mapping[str, Any]]) -> int:
        """Write one page's records as its part (replacing a part an earlier try left); their count."""
        lines = [record_line(record) for record in records]
        self.part(window, page).write_text("".join(lines), encoding="utf-8")
        return len(lines)

    def discard_parts(self) -> None:
        """Remove every part (an export starting afresh must not merge another's pages)."""
        if self.parts.exists():
            for part in self.parts.iterdir():
                part.unlink()
            self.parts.rmdir()

    def finish(self, pages: list[int]) -> int:
        """Merge ``pages[w]`` parts of each window ``w``, in order, into the file; the line count."""
        lines = 0
        with self.incomplete.open("w", encoding="utf-8") as out:
            for window, count in enumerate(pages):
                for page in range(1, count + 1):
                    # one part (a page: at most 999 records) at a time
                    text = self.part(window, page).read_text(encoding="utf-8")
                    out.write(text)
                    lines += text.count("\n")
        self.incomplete.rename(self.path)
        self.discard_parts()
        return lines


def read_records(path: Any) -> Iterable[dict[str, Any]]:
    """Stream the records of an export file."""
    with as_path(path).open("r", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
