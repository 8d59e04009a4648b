"""``schedule_time``, the send-later parameter several send operators share, read one way."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

from airflow_provider_nxcloud.exceptions import InvalidInputError


def schedule_moment(value: Any) -> dt.datetime | None:
    """``schedule_time`` as an aware datetime (None when unset); it must name its timezone."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            parsed = pendulum.parse(value, tz=None)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError("schedule_time", f"cannot be read as a time: {exc}") from None
        if not isinstance(parsed, dt.datetime):
            raise InvalidInputError("schedule_time", f"{value!r} is not a date and time")
        moment = parsed
    else:
        raise InvalidInputError(
            "schedule_time", f"must be a datetime or an ISO 8601 text, not {type(value).__name__}"
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInputError(
            "schedule_time", "has no timezone; write it with one (e.g. 2026-11-23T09:00:00+08:00)"
        )
    return moment
