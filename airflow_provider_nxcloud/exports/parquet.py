"""An export's JSON Lines parts streamed into one Parquet file (pyarrow, an optional dependency).

The parts stay JSON Lines whatever the output (a page is written, then recorded, so a retry
resumes exactly); only the finish step differs: the parts are read one at a time, in window
and page order, converted to Arrow columns and written as row groups of
:data:`ROW_GROUP_ROWS` rows (the last may be shorter), so memory holds at most one row group
and one part whatever the record count, and the same records give the same row groups.

The schema comes from the source's ``columns``: ``(name, type)`` pairs in line order, each
type one of :data:`~.engine.COLUMN_TYPES`:

========== ====================================== =====================================
type       Parquet (Arrow) type                   from the JSON value
========== ====================================== =====================================
string     ``string``                             text
int64      ``int64``                              a whole number
float64    ``double``                             a number
bool       ``bool``                               true / false
timestamp  ``timestamp[ms, tz=UTC]``              ISO 8601 UTC text (``...T08:15:00Z``)
========== ====================================== =====================================

Every column is nullable (null stays null). Every record type declares its columns (its
``columns``); a value of a ``string`` column that is not text (a list of labels, an object)
is written as its JSON text. A record whose keys
differ from the declared columns, or a value that does not fit its column's type, stops the
finish naming ``output_format`` and the column: nothing is written at the file's path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from airflow_provider_nxcloud.exceptions import InvalidInputError

#: rows per row group: a few MB of Arrow memory for the record types here, and few enough
#: row groups for a month (two for 100,000 records)
ROW_GROUP_ROWS = 50_000

#: how an ISO 8601 UTC time of a line reads (``engine.iso``'s form)
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def require_pyarrow() -> None:
    """Refuse Parquet output, naming the parameter, where pyarrow is not installed."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        raise InvalidInputError(
            "output_format",
            "'parquet' needs pyarrow, which is not installed here: install the provider with its "
            "parquet extra (airflow-provider-nxcloud[parquet]), or write JSON Lines",
        ) from exc


def arrow_schema(columns: Sequence[tuple[str, str]]) -> Any:
    """The Arrow schema of ``columns`` (``(name, type)`` pairs of :data:`~.engine.COLUMN_TYPES`)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        # whole seconds in the lines; Parquet's coarsest time unit is the millisecond
        "timestamp": pa.timestamp("ms", tz="UTC"),
    }
    names = [name for name, _ in columns]
    if len(set(names)) != len(names):
        raise ValueError(f"columns names a column twice: {names}")
    unknown = [(name, kind) for name, kind in columns if kind not in types]
    if unknown:
        raise ValueError(f"columns of unknown types {unknown}: each type one of {', '.join(types)}")
    return pa.schema([pa.field(name, types[kind]) for name, kind in columns])


def _unfit(name: str, kind: str, exc: Exception) -> InvalidInputError:
    return InvalidInputError(
        "output_format",
        f"'parquet': a value of column {name!r} is not {kind} ({exc}); nothing was written at the "
        "file's path; JSON Lines output (a .jsonl path) writes such values as they are",
    )


def _array(values: list[Any], name: str, kind: str, field: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if kind == "timestamp":
            text = pa.array(values, pa.string())
            return pc.strptime(text, format=_ISO_FORMAT, unit="s").cast(field.type)
        return pa.array(values, field.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        raise _unfit(name, kind, exc) from exc


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _lines(text: str) -> Iterator[dict[str, Any]]:
    for line in text.splitlines():
        if line.strip():
            yield json.loads(line)


def part_batch(text: str, columns: Sequence[tuple[str, str]], schema: Any) -> Any:
    """One part's lines as an Arrow record batch of ``schema``."""
    import pyarrow as pa

    rows = list(_lines(text))
    names = [name for name, _ in columns]
    expected = set(names)
    for row in rows:
        if row.keys() != expected:
            extra, missing = sorted(row.keys() - expected), sorted(expected - row.keys())
            raise _unfit(
                (extra or missing)[0],
                "declared" if extra else "present",
                ValueError(f"a line's keys differ from the columns: extra {extra}, missing {missing}"),
            )
    arrays = []
    for (name, kind), field in zip(columns, schema, strict=True):
        values = [row.get(name) for row in rows]
        if kind == "string":
            # a text column holds structured values (a list of labels, a called-info object) as JSON text
            values = [_as_text(value) for value in values]
        arrays.append(_array(values, name, kind, field))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_parquet(
    out: IO[bytes],
    parts: Callable[[], Iterable[str]],
    columns: Sequence[tuple[str, str]],
    row_group_rows: int | None = None,
) -> int:
    """Stream the parts' lines (``parts()`` yields each part's text in order) into ``out`` as
    Parquet, with the source's declared ``columns``; the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    group = row_group_rows or ROW_GROUP_ROWS
    chosen = list(columns)
    schema = arrow_schema(chosen)
    rows = 0
    pending: list[Any] = []
    pending_rows = 0
    with pq.ParquetWriter(out, schema) as writer:
        for text in parts():
            batch = part_batch(text, chosen, schema)
            rows += batch.num_rows
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= group:
                table = pa.Table.from_batches(pending, schema)
                writer.write_table(table.slice(0, group), row_group_size=group)
                rest = table.slice(group)
                pending, pending_rows = rest.to_batches(), rest.num_rows
        if pending_rows:
            writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=group)
    return rows
