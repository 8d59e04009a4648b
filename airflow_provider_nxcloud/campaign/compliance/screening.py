"""The validation pass with compliance: suppressed recipients set apart, the rest grouped by quiet hours.

Used instead of :func:`~airflow_provider_nxcloud.campaign.recipients.spool_recipients` only
when ``suppression_list`` or ``quiet_hours`` is set (the usual pass stays as fast as it is).
Each valid, distinct recipient goes to one spool: the suppressed ones' spool, or the spool
of its quiet-hours group (:mod:`.quiet_hours`). The batches then come group after group
(groups sorted, so every try and every round makes the same batches from the same
source), the suppressed ones last; a batch holds recipients of one group only.

Suppressed recipients are valid: they count in ``report.valid`` and never as invalid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import compress
from typing import Any

from airflow_provider_nxcloud.campaign.compliance.quiet_hours import Group, NoTimeZone, QuietHours
from airflow_provider_nxcloud.campaign.compliance.suppression import SuppressionList
from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import (
    NumberFormat,
    PlainRun,
    RecipientSpool,
    ValidationReport,
    chunked,
)
from airflow_provider_nxcloud.campaign.recipients.validation import number_chunks
from airflow_provider_nxcloud.exceptions import InvalidInputError

Valid = tuple[str, Any, int]


class ScreenedRecipients:
    """The spools of one screened pass and its ``report``; ``suppressed``: how many are on the list."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.groups: dict[Group, RecipientSpool] = {}
        self.suppressed_spool = RecipientSpool(report)
        #: recipients on the suppression list (never sent)
        self.suppressed = 0

    @property
    def to_send(self) -> int:
        return self.report.valid - self.suppressed

    def spool_for(self, group: Group) -> RecipientSpool:
        spool = self.groups.get(group)
        if spool is None:
            spool = self.groups[group] = RecipientSpool(self.report)
        return spool

    def batches(
        self, size: int, campaign: str, *, group: Callable[[str], object] | None = None
    ) -> Iterator[Batch]:
        """Every recipient once in batches of at most ``size``: group by group, the suppressed last;
        with ``group`` (the sender's ``batch_group``) a batch also ends where it changes."""
        key = (lambda recipient: group(recipient.number)) if group is not None else None
        index, position = 0, 1
        parts = [(name, self.groups[name], False) for name in sorted(self.groups)]
        parts.append(((), self.suppressed_spool, True))
        try:
            for name, spool, suppressed in parts:
                for chunk in chunked(spool, size, key=None if suppressed else key):
                    yield Batch(index, chunk, campaign, position, time_zone_group=name, suppressed=suppressed)
                    index += 1
                    position += len(chunk)
        finally:
            self.close()

    def close(self) -> None:
        for spool in (*self.groups.values(), self.suppressed_spool):
            spool.close()


def screen_recipients(
    entries: Iterable[str],
    fmt: NumberFormat | str,
    *,
    on_invalid: str = "fail",
    default_region: str | None = None,
    allowed_regions: Iterable[str] | None = None,
    suppression: SuppressionList | None = None,
    quiet_hours: QuietHours | None = None,
) -> ScreenedRecipients:
    """The one pass before the first send, as ``spool_recipients``, with the recipients screened.

    InvalidInputError naming ``quiet_hours`` for a recipient with quiet hours and no known
    time zone (naming its entry, not its number), before anything is sent.
    """
    report = ValidationReport()
    screened = ScreenedRecipients(report)
    try:
        for chunk in number_chunks(
            entries,
            fmt,
            report=report,
            on_invalid=on_invalid,
            default_region=default_region,
            allowed_regions=allowed_regions,
        ):
            _screen(screened, chunk, suppression, quiet_hours)
    except BaseException:
        screened.close()
        raise
    return screened


def _screen(
    screened: ScreenedRecipients,
    chunk: PlainRun | list[Valid],
    suppression: SuppressionList | None,
    quiet_hours: QuietHours | None,
) -> None:
    """Put each recipient of ``chunk`` in its spool; a run of plain numbers all of one group (the
    usual chunk of a one-country list) goes on as a run, its suppressed ones taken out."""
    digits = chunk.values if isinstance(chunk, PlainRun) else [item[0] for item in chunk]
    if digits[0][:1] == "+":
        digits = [value[1:] for value in digits]
    flags = suppression.flags(digits) if suppression is not None else None
    groups = _groups(digits, chunk, quiet_hours)
    if isinstance(chunk, PlainRun) and groups.count(groups[0]) == len(groups):
        _split_run(screened, chunk, groups[0], flags)
        return
    items = (
        [(value, value, chunk.first_line + offset) for offset, value in enumerate(chunk.values)]
        if isinstance(chunk, PlainRun)
        else chunk
    )
    suppressed: list[Valid] = []
    by_group: dict[Group, list[Valid]] = {}
    for position, item in enumerate(items):
        if flags is not None and flags[position]:
            suppressed.append(item)
        else:
            by_group.setdefault(groups[position], []).append(item)
    if suppressed:
        screened.suppressed += len(suppressed)
        screened.suppressed_spool.write([suppressed])
    for group, valid in by_group.items():
        screened.spool_for(group).write([valid])


def _split_run(screened: ScreenedRecipients, run: PlainRun, group: Group, flags: list[bool] | None) -> None:
    """A run of one group: what is not suppressed goes on as one run (no tuple per recipient).

    The run is spooled from the line after the group's last one, so its spool reads back as
    plain lines (a run from another line would need one JSON line, and a block holding one is
    read line by line): in a screened spool a plain run's lines count its group's recipients,
    not the source's lines (nothing after the pass reads them; the report's lines, written by
    the pass itself, are the source's).
    """
    spool = screened.spool_for(group)
    values = run.values
    if flags and any(flags):
        first = run.first_line
        suppressed = [
            (values[position], values[position], first + position)
            for position in compress(range(len(values)), flags)
        ]
        screened.suppressed += len(suppressed)
        screened.suppressed_spool.write([suppressed])
        values = list(compress(values, [not flag for flag in flags]))
    if values:
        spool.write([PlainRun(values, spool.next_line)])


def _groups(digits: list[str], chunk: PlainRun | list[Valid], quiet_hours: QuietHours | None) -> list[Group]:
    if quiet_hours is None:
        return [()] * len(digits)
    try:
        return list(map(quiet_hours.group_of, digits))
    except NoTimeZone as exc:
        line = _line_of(chunk, digits.index(exc.args[0]))
        raise InvalidInputError(
            "quiet_hours",
            f"entry {line}: no time zone is known for this number, so its quiet hours "
            "cannot be kept; leave it out, or give its region no window ({'XX': None})",
        ) from None


def _line_of(chunk: PlainRun | list[Valid], position: int) -> int:
    return chunk.first_line + position if isinstance(chunk, PlainRun) else chunk[position][2]
