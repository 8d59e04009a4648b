"""Waiting for vendor jobs (voice campaign tasks, AI voice tasks, number checks), in poke or deferrable mode.

The platform job sensors derive from :class:`VendorTaskSensor`; the wait itself
(poke, deferral to :class:`~airflow_provider_nxcloud.triggers.wait.WaitTrigger`,
the trigger's event) is :class:`~airflow_provider_nxcloud.sensors.wait.WaitSensor`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow_provider_nxcloud.sensors.wait import WaitSensor


class VendorTaskSensor(WaitSensor):
    """Base of the job sensors; use a platform's sensor.

    A job sensor names its ``platform`` and ``watch_name`` and turns its parameters into
    the watch's options (``watch_options``). Returns (XCom) the job's final state:
    ``outcome``, ``status``, ``message`` and the watch's details.

    :param max_consecutive_errors: deferrable mode: transient failed polls in a row
        the trigger tolerates before the task fails (and may be retried).
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    :param deferrable: wait in the triggerer instead of a worker slot (poke once first).
    """


__all__: Sequence[str] = ["VendorTaskSensor"]
