"""Per-recipient results of a campaign as JSON Lines at ``results_path``, complete across retries.

Each batch's lines are written as their own small object *before* the batch
is recorded as done, so a try that dies never leaves a done batch without
results; object stores have no append, so one object per batch is also what
works on ``s3://``. When the campaign ends the parts are merged in batch
order into ``results_path`` (for a batch written by several tries, the
latest try wins) and removed.

A line: ``{"batch": 3, "number": "6591234567", "status": "accepted",
"vendor_id": "...", "reference": "...", "error": null, "sent_at": null}``;
``sent_at`` (ISO 8601, UTC) is set where a delivery query needs the send time
(NXCloud voice calls).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

#: vendor ids kept for the XCom summary; the full list lives in results_path
XCOM_ID_LIMIT = 100

_PART = re.compile(r"batch-(\d+)\.try-(\d+)\.jsonl$")


@dataclass(frozen=True)
class RecipientResult:
    number: str
    #: "accepted" or "rejected"
    status: str
    vendor_id: str | None = None
    #: the client reference sent with this recipient (orderId, ExternalId...)
    reference: str | None = None
    #: why the vendor rejected this recipient
    error: str | None = None
    #: when the message went out (a scheduled call: when it is placed), ISO 8601 UTC
    sent_at: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


def _path(value: Any) -> Any:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    return value if isinstance(value, ObjectStoragePath) else ObjectStoragePath(str(value))


class ResultsWriter:
    """Writes batch results durably and merges them at the end; without a path it keeps a sample of ids."""

    def __init__(self, results_path: Any | None, try_number: int = 1) -> None:
        self.path = _path(results_path) if results_path else None
        self.try_number = try_number
        self.vendor_ids: list[str] = []

    @property
    def parts(self) -> Any:
        assert self.path is not None
        return self.path.parent / f"{self.path.name}.parts"

    def write(self, batch: int, results: Iterable[RecipientResult]) -> None:
        lines = []
        for result in results:
            # NXCloud gives a whole batch one id: keep each id once
            if (
                result.vendor_id
                and len(self.vendor_ids) < XCOM_ID_LIMIT
                and result.vendor_id not in self.vendor_ids
            ):
                self.vendor_ids.append(result.vendor_id)
            if self.path is not None:
                lines.append(json.dumps({"batch": batch, **asdict(result)}, ensure_ascii=False))
        if self.path is not None:
            self.parts.mkdir(parents=True, exist_ok=True)
            part = self.parts / f"batch-{batch:06d}.try-{self.try_number:03d}.jsonl"
            part.write_text("".join(f"{line}\n" for line in lines))

    def finish(self) -> int:
        """Merge the parts into ``results_path``; returns the number of lines written."""
        if self.path is None:
            return 0
        latest: dict[int, Any] = {}
        stale: list[Any] = []
        if self.parts.exists():
            for part in sorted(self.parts.iterdir(), key=lambda p: p.name):
                match = _PART.search(part.name)
                if not match:
                    continue
                batch = int(match.group(1))
                if batch in latest:
                    stale.append(latest[batch])
                latest[batch] = part  # names sort by try within a batch
        written = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w") as out:
            for batch in sorted(latest):
                with latest[batch].open("r") as part:
                    for line in part:
                        out.write(line)
                        written += 1
        for part in [*stale, *latest.values()]:
            part.unlink()
        if self.parts.exists():
            self.parts.rmdir()
        return written


def read_results(results_path: Any) -> Iterable[dict[str, Any]]:
    """Stream the lines of a results file (for sensors and tests)."""
    with _path(results_path).open("r") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
