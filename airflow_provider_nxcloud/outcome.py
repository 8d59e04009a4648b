"""The one place vendor errors become Airflow task outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    BatchInDoubtError,
    InvalidInputError,
    PermanentAPIError,
)


@contextmanager
def airflow_outcome() -> Iterator[None]:
    """Fail the task at once on errors no retry can fix; let retryable errors reach Airflow's retries.

    Permanent vendor errors, invalid input and unresolved ambiguous sends or batches end
    the task with :class:`AirflowFailException`, so no retry is burned (and an
    ambiguous send is never repeated blindly). The original error is chained.
    """
    try:
        yield
    except (PermanentAPIError, InvalidInputError, AmbiguousSendError, BatchInDoubtError) as exc:
        raise AirflowFailException(str(exc)) from exc
