"""What every record source checks: its parameters before any request, its pages as they come.

The vendor facts (page limits, how long records are kept, which assumption a page order
rests on) stay in each source and ``platforms/``; these say once how they are enforced and
worded, so every record type refuses the same mistake the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError, UnreadableRecordError
from airflow_provider_nxcloud.exports.engine import Interval, iso


def check_page_size(size: Any, most: int) -> None:
    """``page_size`` is a whole number from 1 to the vendor's ``most`` (a bool is not a number here)."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= most:
        raise InvalidInputError("page_size", f"must be a whole number from 1 to {most}, not {size!r}")


def check_whole_seconds(interval: Interval, why: str) -> None:
    """Both ends of the interval fall on whole seconds, as a query taking ``why`` (its time unit) needs."""
    for name, value in (("data_interval_start", interval.start), ("data_interval_end", interval.end)):
        if value != int(value):
            raise InvalidInputError(name, f"must fall on a whole second ({why}), not {value}")


def check_kept(interval: Interval, oldest: float, kept: str) -> None:
    """Refuse an interval starting before ``oldest``, the earliest moment the vendor still answers.

    ``kept`` says who keeps what how long (``"Buka keeps sent SMS records (90 days)"``).
    """
    if interval.start < oldest:
        raise InvalidInputError(
            "data_interval_start",
            f"{iso(interval.start)} is older than {kept}: the oldest start it answers now is {iso(oldest)}",
        )


def unplaceable(record: str, stamp: str) -> UnreadableRecordError:
    """The error of a ``record`` whose ``stamp`` does not read: it cannot be placed in an
    interval, and dropping it would lose it, so the try fails."""
    return UnreadableRecordError(f"{record} has no readable {stamp}: it cannot be placed in an interval")


def check_not_shifted(previous_last: Any, ids: Sequence[Any], listed_again: str, assumption: str) -> Any:
    """The id the next page must not list: this page's last (``previous_last`` when it is empty).

    A page that lists again the previous page's last record means the vendor's list moved
    while it was paged, so what was read may miss or repeat records: the try fails
    (``listed_again`` says which query listed what, ``assumption`` the page order assumed),
    and its retry reads on from the last page written.
    """
    if previous_last is not None and previous_last in ids:
        raise UnreadableRecordError(
            f"{listed_again}: the list shifted while it was paged (assumed page order: {assumption}); "
            "a retry reads on from the last page written"
        )
    return ids[-1] if ids else previous_last
