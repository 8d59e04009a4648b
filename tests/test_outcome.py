"""One helper turns vendor errors into Airflow outcomes."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
)
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms.codes import Disposition

FIELDS = {
    "platform": "buka",
    "service": "sms",
    "code": "-10",
    "meaning": "Insufficient balance",
    "endpoint": "sms_send",
    "disposition": Disposition.FAIL,
}


@pytest.mark.parametrize(
    "error",
    [
        PermanentAPIError(**FIELDS),
        AmbiguousSendError(client_reference="run:task:0:batch-3", **FIELDS),
        InvalidInputError("recipients", "is empty"),
    ],
)
def test_errors_no_retry_can_fix_fail_the_task_at_once(error):
    with pytest.raises(AirflowFailException) as raised, airflow_outcome():
        raise error
    assert raised.value.__cause__ is error
    assert str(raised.value) == str(error)


def test_retryable_errors_reach_airflows_retries_unchanged():
    error = RetryableAPIError(**{**FIELDS, "code": "-15", "disposition": Disposition.RETRY})
    with pytest.raises(RetryableAPIError) as raised, airflow_outcome():
        raise error
    assert raised.value is error


def test_error_text_names_platform_service_code_and_meaning():
    assert str(PermanentAPIError(**FIELDS)) == "buka/sms code -10 (Insufficient balance) on sms_send [fail]"
