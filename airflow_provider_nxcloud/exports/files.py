"""Where an export's records go: one part object per page, merged into the interval's file at the end.

Object stores have no append and no rename. A page is therefore written as its own small
object (``<file>.parts/w0003-p000012.jsonl``) *before* the page is recorded as written,
so a try that dies never leaves a recorded page without its lines. At the end the parts
the progress names are streamed, in window and page order, into one temporary object
(``<file>.incomplete``) which is then moved to the file's path: on a local file system
that is ``os.rename`` (atomic, replacing an earlier file); on an object store fsspec's
move is a server-side copy then a delete, and an object store's write is all or nothing,
so a reader sees the earlier file or the whole new one, never part of one. The parts are
removed last. Memory stays one part deep whatever the record count.

The parts are JSON Lines whatever the output; ``output_format="parquet"`` changes only the
merge: the parts are streamed into one Parquet file instead (:mod:`.parquet`, bounded row
groups), through the same temporary object and move.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError


def as_path(value: Any) -> Any:
    """``value`` as an ``ObjectStoragePath`` (a plain local path reads as one)."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    return value if isinstance(value, ObjectStoragePath) else ObjectStoragePath(str(value))


#: what an export writes: JSON Lines, or Parquet (pyarrow, the provider's ``parquet`` extra)
OUTPUT_FORMATS = ("jsonl", "parquet")
#: path suffixes that say which format a file holds
_SUFFIXES = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def output_format(value: Any, path: Any) -> str:
    """The export's format: ``value`` when given, else the path's suffix (``.parquet``: Parquet;
    anything else: JSON Lines). A given format the suffix contradicts is refused by name."""
    suffix = str(as_path(path).suffix).lower()
    if value is None:
        return "parquet" if _SUFFIXES.get(suffix) == "parquet" else "jsonl"
    if value not in OUTPUT_FORMATS:
        raise InvalidInputError(
            "output_format",
            f"must be 'jsonl' or 'parquet' (or None: from the path's suffix), not {value!r}",
        )
    if _SUFFIXES.get(suffix, value) != value:
        raise InvalidInputError(
            "output_format",
            f"is {value!r} but output_path ends in {suffix!r}: name the file after what it holds",
        )
    return str(value)


def record_line(record: Mapping[str, Any]) -> str:
    """One JSON Lines line: keys in the schema's order, text as it is (no ASCII escapes)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


class IntervalFile:
    """The interval's file at ``path``, its page parts beside it and its temporary object."""

    def __init__(self, path: Any, output_format: str = "jsonl") -> None:
        if output_format not in OUTPUT_FORMATS:
            raise ValueError(f"output_format must be one of {OUTPUT_FORMATS}, not {output_format!r}")
        self.path = as_path(path)
        self.output_format = output_format

    @property
    def parts(self) -> Any:
        return self.path.parent / f"{self.path.name}.parts"

    @property
    def incomplete(self) -> Any:
        return self.path.parent / f"{self.path.name}.incomplete"

    def part(self, window: int, page: int) -> Any:
        return self.parts / f"w{window:04d}-p{page:06d}.jsonl"

    def check_format(self, columns: Sequence[tuple[str, str]]) -> None:
        """Fail before the first vendor request when the format cannot be written here (Parquet
        without pyarrow) or the source's declared columns make no schema."""
        if self.output_format == "parquet":
            from airflow_provider_nxcloud.exports import parquet

            parquet.require_pyarrow()
            parquet.arrow_schema(columns)

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

    def part_texts(self, pages: list[int]) -> Iterator[str]:
        """The text of ``pages[w]`` parts of each window ``w``, in order, one part at a time."""
        for window, count in enumerate(pages):
            for page in range(1, count + 1):
                # one part (a page: at most 999 records) at a time
                yield self.part(window, page).read_text(encoding="utf-8")

    def finish(self, pages: list[int], columns: Sequence[tuple[str, str]]) -> int:
        """Merge ``pages[w]`` parts of each window ``w``, in order, into the file; the record count.

        ``columns``: the source's declared ``(name, type)`` columns, the Parquet schema; JSON
        Lines keeps each line as it is.
        """
        if self.output_format == "parquet":
            from airflow_provider_nxcloud.exports.parquet import write_parquet

            with self.incomplete.open("wb") as out:
                lines = write_parquet(out, lambda: self.part_texts(pages), columns)
        else:
            lines = 0
            with self.incomplete.open("w", encoding="utf-8") as out:
                for text in self.part_texts(pages):
                    out.write(text)
                    lines += text.count("\n")
        self.incomplete.rename(self.path)
        self.discard_parts()
        return lines


def read_records(path: Any) -> Iterable[dict[str, Any]]:
    """Stream the records of a JSON Lines export file."""
    with as_path(path).open("r", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
