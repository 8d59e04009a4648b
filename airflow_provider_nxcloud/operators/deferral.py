"""``deferrable=True`` on an operator whose wait is off: a warning at DAG parse, as dbt Cloud's operator gives."""

from __future__ import annotations

import warnings
from typing import Any

from airflow.providers.common.compat.sdk import conf


def warn_deferrable_without_wait(task_id: str, deferrable: Any, wait: Any, waits: str) -> None:
    """Warn that ``deferrable=True`` does nothing without the wait it would defer (``waits`` names them).

    Not when the deployment's ``[operators] default_deferrable`` made it True: that is a
    policy for every operator, not a choice made on this one.
    """
    if (
        deferrable is True
        and not wait
        and not conf.getboolean("operators", "default_deferrable", fallback=False)
    ):
        warnings.warn(
            f"{task_id}: deferrable=True has no effect without {waits} "
            "(nothing is waited for, so nothing is deferred)",
            UserWarning,
            stacklevel=3,
        )


__all__ = ["warn_deferrable_without_wait"]
