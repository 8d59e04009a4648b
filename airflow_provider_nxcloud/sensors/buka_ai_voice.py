"""Waiting for a Buka AI voice (intelligent outbound) task to call every customer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.jobs.buka_ai_voice import check_job_id
from airflow_provider_nxcloud.sensors.task import VendorTaskSensor


class BukaAiVoiceTaskSensor(VendorTaskSensor):
    """Wait until a Buka AI voice task has called every customer, reading ``AiVoice/taskList``.

    Done when the task's status is COMPLETED; the counts never decide (``taskCompleted``
    counts successful calls only). Fails when the status is a failed one of
    :data:`~airflow_provider_nxcloud.platforms.buka.AI_TASK_STATUSES` (TERMINATED), or when
    the task is missing from the list two polls in a row (deleted). NOT_STARTED, RUNNING,
    PAUSED and any status the provider does not know keep waiting (each poll logs "40 of
    100 calls successful"), up to the timeout. ASSUMPTION [BK-13]: Buka documents the status as a
    String without its values; the names are the provider's. Buka has no detail call for
    AI tasks: without ``name`` the app's tasks are paged through 100 at a time.

    :param job_id: the task's jobId, e.g. ``"{{ ti.xcom_pull('create')['job_id'] }}"``. Templated.
    :param name: the task's exact name (the create operator's ``name`` in its XCom), to
        find it with one request. Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the AI voice appId; defaults to the connection's ``ai_voice_app_id``,
        else its ``app_id``. Templated.

    Modes, timeout and the returned state (with ``job_id``, ``name``, ``task_total``,
    ``task_completed``, ``progress``): see :class:`~airflow_provider_nxcloud.sensors.task.VendorTaskSensor`.
    """

    template_fields: Sequence[str] = ("buka_conn_id", "job_id", "name", "app_id")
    platform = "buka"
    watch_name = "buka_ai_voice_task"

    def __init__(
        self,
        *,
        job_id: int | str,
        name: str | None = None,
        buka_conn_id: str = "buka_default",
        app_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=buka_conn_id, **kwargs)
        self.job_id = job_id
        self.name = name
        self.buka_conn_id = buka_conn_id
        self.app_id = app_id

    def watch_options(self, context: Any) -> dict[str, Any]:
        if self.name is not None and not isinstance(self.name, str):
            raise InvalidInputError("name", f"must be the task's name or None, not {self.name!r}")
        return {
            "app_id": self.app_id,
            "job_id": check_job_id(self.job_id),
            "name": (self.name or "").strip() or None,
        }
