"""Reading a vendor record's values: text, and stamps in epoch seconds.

Each source says which stamp forms its vendor writes and in which zone (from ``platforms/``);
the reading itself is the same for all of them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from airflow_provider_nxcloud.exports.engine import iso

#: a stamp without a zone, ``yyyy-MM-dd HH:mm:ss`` (read in the zone its source names)
_ZONELESS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def as_text(value: Any) -> str | None:
    """A value as text; None when absent or empty."""
    return None if value in (None, "") else str(value)


def zone(hours: float) -> dt.timezone:
    """The fixed zone ``hours`` ahead of UTC."""
    return dt.timezone(dt.timedelta(hours=hours))


def stamp_epoch(value: Any, zoneless: dt.tzinfo | None = None, *, offsets: bool = True) -> float | None:
    """A record stamp in epoch seconds; None when empty or not a stamp this vendor writes.

    ``offsets``: ISO 8601 with an offset (or ``Z``) is read as it says. ``zoneless``: the zone of
    a ``yyyy-MM-dd HH:mm:ss`` stamp without one (None: such a stamp is not guessed at).
    """
    if not isinstance(value, str):
        return None
    stamp = value.strip()
    try:
        # fromisoformat reads "2019-06-15 23:40:00" as strptime would, many times faster
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return moment.timestamp() if offsets else None
    if zoneless is None or not _ZONELESS.fullmatch(stamp):
        return None
    return moment.replace(tzinfo=zoneless).timestamp()


def iso_or_none(epoch: float | None) -> str | None:
    """:func:`~.engine.iso` of ``epoch``; None for None."""
    return None if epoch is None else iso(epoch)
