"""Which pages of an interval's export are written, kept across the tries of its task instance.

One small JSON value per task instance, a :class:`~airflow_provider_nxcloud.state.TaskInstanceState`
(Airflow's ``task_state_store`` on 3.3+, an Airflow Variable on 3.1 and 3.2), as the send
campaigns keep theirs (``campaign/progress.py``): it is written after each page's part, so a
retry resumes after the last page written. It is bound to what the export is (platform,
record type, file, interval, page size, windows): a record of another export is ignored
and its parts discarded. A finished export deletes its record: running the interval again
(a cleared task) reads everything afresh and replaces the file with the same content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_nxcloud.campaign.progress import campaign_key_from_context
from airflow_provider_nxcloud.state import TaskInstanceState, VariableStateStore

#: the key (and Variable name prefix) the record is stored under
STORE_KEY = "nxcloud_export_progress"


@dataclass
class WindowProgress:
    """One vendor query window: pages written, the source's cursor after the last, records kept."""

    pages: int = 0
    cursor: Any = None
    records: int = 0
    done: bool = False


@dataclass
class ExportProgress:
    identity: dict[str, Any]
    windows: list[WindowProgress] = field(default_factory=list)
    #: vendor queries made by every try so far
    queries: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "windows": [vars(window) for window in self.windows],
            "queries": self.queries,
        }

    @classmethod
    def from_json(cls, value: Any, identity: dict[str, Any]) -> ExportProgress | None:
        """The stored progress when it is of this export; else None."""
        if not isinstance(value, Mapping) or value.get("identity") != identity:
            return None
        windows = [WindowProgress(**window) for window in value.get("windows") or []]
        return cls(identity, windows, int(value.get("queries") or 0))


def progress_record(context: Mapping[str, Any]) -> TaskInstanceState:
    """The progress record of the context's task instance (never keyed by the try number)."""
    in_store = TaskInstanceState.in_task_state_store(context, STORE_KEY)
    if in_store is not None:
        return in_store  # nothing to seal: a finished export deletes its record
    return TaskInstanceState(VariableStateStore(), f"{STORE_KEY}_{campaign_key_from_context(context)}")
