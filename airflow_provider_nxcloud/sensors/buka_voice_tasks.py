"""Waiting for a Buka voice group-call task to end."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.jobs.buka_voice import PLATFORM, WATCH_NAME, check_task_id
from airflow_provider_nxcloud.sensors.task import VendorTaskSensor


class BukaVoiceTaskSensor(VendorTaskSensor):
    """Wait until a Buka voice task ends (``GET voice/group/call/detail/{id}``).

    Status 2 (completed) succeeds; 3 (submission failed) and 4 (cancelled) fail the
    task; 0 waiting, 6 submitting, 1 calling and 5 suspended (paused, or outside the
    task's calling windows; logged as such) keep waiting.

    :param voice_task_id: the task's id (e.g. the create operator's XCom ``task_id``). Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.

    Modes, timeout and errors: see :class:`~airflow_provider_nxcloud.sensors.task.VendorTaskSensor`.
    Returns (XCom) ``outcome``, ``status``, ``message``, ``task_id``, ``task_name``,
    ``status_code`` and the counts ``numbers``, ``called``, ``answered``, ``failed``.
    """

    platform = PLATFORM
    watch_name = WATCH_NAME
    template_fields: Sequence[str] = (
        "buka_conn_id",
        "voice_task_id",
    )

    def __init__(
        self, *, voice_task_id: str | int, buka_conn_id: str = BukaHook.default_conn_name, **kwargs: Any
    ) -> None:
        super().__init__(conn_id=buka_conn_id, **kwargs)
        self.voice_task_id = voice_task_id
        self.buka_conn_id = buka_conn_id

    def watch_options(self, context: Any) -> dict[str, Any]:
        return {"task_id": check_task_id(self.voice_task_id, "voice_task_id")}


__all__ = ["BukaVoiceTaskSensor"]
