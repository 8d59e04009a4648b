"""The messages a delivery wait is about, and what a vendor says about each.

Where the message ids come from (a wait takes exactly one source):

* an explicit list (:func:`refs_from_ids`): ids, or ``{"message_id", "number",
  "date", "sent_at"}`` objects, or a comma-separated / JSON-array string;
* a send task's ``results_path`` (:func:`ref_from_result_line` for each line,
  :func:`refs_from_results` for a small file): the ``accepted`` lines' ``vendor_id``,
  ``number`` and ``sent_at``;
* a send task's XCom summary (:func:`refs_from_send_result`): its
  ``results_path`` when set, else its ``vendor_ids``. The summary keeps at most
  100 ids, so a larger campaign without ``results_path`` is refused rather than
  half-checked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError

DELIVERED = "delivered"
FAILED = "failed"
PENDING = "pending"
#: how many failed / pending messages a summary names; the rest go to report_path
SAMPLE_SIZE = 20
#: what a message the vendor does not know (yet) is noted as
NOT_FOUND = "not found at the vendor (yet)"


# ----- what to ask about ------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRef:
    """One message to wait for: the vendor's id, and what else is known about it."""

    message_id: str
    number: str | None = None
    #: the UTC day it was sent, ``yyyyMMdd`` (NXCloud's SMS query needs it)
    date: str | None = None
    #: when it was sent (a scheduled call: when it starts), epoch seconds (NXCloud's call records)
    sent_at: float | None = None

    def to_json(self) -> list[Any]:
        """Compact plain-JSON form (trigger kwargs): ``[message_id, number, date]``, then ``sent_at`` if known."""
        row: list[Any] = [self.message_id, self.number, self.date]
        return row if self.sent_at is None else [*row, self.sent_at]

    @classmethod
    def from_json(cls, value: Any) -> MessageRef:
        if isinstance(value, Mapping):
            return _ref_from_mapping(value, "message_ids")
        if isinstance(value, list | tuple) and value and isinstance(value[0], str):
            number, date, sent_at = [*value[1:4], None, None, None][:3]
            return cls(value[0], text_or_none(number), compact_date(date), send_epoch(sent_at))
        raise InvalidInputError("messages", f"cannot read a message reference from {value!r}")


def text_or_none(value: Any) -> str | None:
    """``value`` as stripped text, or None when it is empty."""
    return None if value is None or str(value).strip() == "" else str(value).strip()


def compact_date(value: Any) -> str | None:
    """A send day as ``yyyyMMdd`` (UTC) from ``yyyyMMdd``, ``yyyy-MM-dd``, ISO date-times or epoch seconds.

    Anything unreadable gives None (the NXCloud query then tries today and yesterday).
    """
    text = str(value).strip()
    if len(text) == 8 and text.isdigit():
        return text
    epoch = send_epoch(value)
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y%m%d")


def send_epoch(value: Any) -> float | None:
    """A send time as epoch seconds, from epoch seconds or ISO 8601 text (UTC unless it names a zone).

    Anything unreadable gives None.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _send_date(item: Mapping[str, Any]) -> str | None:
    for key in ("date", "send_date", "sent_at"):
        value = item.get(key)
        date = None if value is None else compact_date(value)
        if date:
            return date
    return None


def _ref_from_mapping(item: Mapping[str, Any], parameter: str) -> MessageRef:
    message_id = text_or_none(item.get("message_id") or item.get("vendor_id") or item.get("id"))
    if message_id is None:
        raise InvalidInputError(parameter, f"an entry has no message_id: {dict(item)!r}")
    return MessageRef(
        message_id, text_or_none(item.get("number")), _send_date(item), send_epoch(item.get("sent_at"))
    )


def _unique(refs: Iterable[MessageRef]) -> list[MessageRef]:
    # keyed by id and number: NXCloud gives every number of one request the same id
    seen: dict[tuple[str, str | None], MessageRef] = {}
    for ref in refs:
        seen.setdefault((ref.message_id, ref.number), ref)
    return list(seen.values())


def refs_from_ids(value: Any, parameter: str = "message_ids") -> list[MessageRef]:
    """Message ids given directly: a list of ids or objects, or a comma-separated / JSON-array string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise InvalidInputError(parameter, "looks like a JSON array but is not valid JSON") from None
        else:
            value = [part for part in text.replace("\n", ",").split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise InvalidInputError(parameter, f"must be a list of message ids, not {type(value).__name__}")
    refs = []
    for item in value:
        if isinstance(item, Mapping):
            refs.append(_ref_from_mapping(item, parameter))
        elif isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
            refs.append(MessageRef(str(item).strip()))
        else:
            raise InvalidInputError(parameter, f"holds {item!r}, which is not a message id")
    return _unique(refs)


def refs_from_results(results_path: Any) -> list[MessageRef]:
    """The accepted recipients of a send task's results file (lines without a vendor id are skipped)."""
    from airflow_provider_nxcloud.campaign.results import read_results

    try:
        lines = list(read_results(results_path))
    except FileNotFoundError:
        raise InvalidInputError("results_path", f"{results_path} does not exist") from None
    except ValueError as exc:
        raise InvalidInputError("results_path", f"{results_path} is not JSON Lines ({exc})") from None
    return _unique(ref for ref in map(ref_from_result_line, lines) if ref is not None)


def ref_from_result_line(line: Mapping[str, Any]) -> MessageRef | None:
    """The message a results line names, or None (a rejected recipient, or no vendor id)."""
    if line.get("status", "accepted") != "accepted" or not text_or_none(line.get("vendor_id")):
        return None
    return MessageRef(
        str(line["vendor_id"]),
        text_or_none(line.get("number")),
        _send_date(line),
        send_epoch(line.get("sent_at")),
    )


def refs_from_send_result(result: Any, platform: str, parameter: str = "send_task_id") -> list[MessageRef]:
    """The messages of a send task's XCom summary (one dict, or a list of them from a mapped task)."""
    results = result if isinstance(result, list | tuple) else [result]
    refs: list[MessageRef] = []
    for item in results:
        if not isinstance(item, Mapping):
            raise InvalidInputError(parameter, f"its XCom is not a send summary: {item!r}")
        sent_by = item.get("platform")
        if sent_by and sent_by != platform:
            raise InvalidInputError(parameter, f"sent through {sent_by}, but this waits on {platform}")
        if item.get("results_path"):
            refs.extend(refs_from_results(item["results_path"]))
            continue
        ids = [str(i) for i in item.get("vendor_ids") or [] if i]
        accepted = item.get("accepted")
        if isinstance(accepted, int) and accepted > len(ids):
            # the XCom keeps at most 100 ids, and NXCloud gives all numbers of a request one id
            raise InvalidInputError(
                parameter,
                f"its XCom names {len(ids)} message ids for {accepted} accepted messages; give the send "
                "task a results_path so that every message can be checked",
            )
        date, sent_at = _send_date(item), send_epoch(item.get("sent_at"))
        refs.extend(MessageRef(i, None, date, sent_at) for i in ids)
    return _unique(refs)


# ----- what the vendor says ---------------------------------------------------------------------


@dataclass(frozen=True)
class MessageStatus:
    message_id: str
    #: delivered, failed or pending
    outcome: str
    number: str | None = None
    #: the vendor's own word for it (Buka 0/1/-1, NXCloud dr, Fone Dynamics Status)
    vendor_status: str | None = None
    #: why it failed; for a pending message, a note (``not found``) if any
    reason: str | None = None
    #: when the wait first saw it final (delivered or failed), ISO 8601 UTC to the second; set by
    #: the wait's store, not by the vendor (whose own report times are not read)
    seen_at: str | None = None

    def to_row(self) -> list[str | None]:
        return [self.message_id, self.number, self.outcome, self.vendor_status, self.reason]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> MessageStatus:
        message_id, number, outcome, vendor_status, reason = [*row, None, None, None, None, None][:5]
        return cls(str(message_id), outcome or PENDING, number, vendor_status, reason)

    def to_json(self) -> dict[str, Any]:
        """A delivery report line, its keys always in :data:`REPORT_KEYS` order (the delivery view
        counts lines by the outcome and the time beside it, without parsing them)."""
        return {
            "message_id": self.message_id,
            "number": self.number,
            "outcome": self.outcome,
            "seen_at": self.seen_at,
            "vendor_status": self.vendor_status,
            "reason": self.reason,
        }


#: a delivery report line's keys, in the order they are written
REPORT_KEYS = ("message_id", "number", "outcome", "seen_at", "vendor_status", "reason")
