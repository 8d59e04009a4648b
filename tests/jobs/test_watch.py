"""The shared rules of vendor jobs: stable names, find-or-create, job states, the watch registry."""

from __future__ import annotations

import importlib

import pytest

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    CreateInDoubtError,
    InvalidInputError,
    PermanentAPIError,
)
from airflow_provider_nxcloud.jobs.watch import (
    FAILURE,
    RUNNING,
    SUCCESS,
    WATCHES,
    JobState,
    find_or_create,
    stable_name,
)
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms.codes import Disposition


def vendor_error(cls, code):
    return cls(
        platform="buka",
        service="voice",
        code=code,
        meaning="meaning",
        disposition=Disposition.FAIL,
        endpoint="voice_task_create",
    )


class Vendor:
    """A vendor's job table as find/create see it: ``lose`` drops the reply of a create it accepted."""

    def __init__(self, *, lose: bool = False, visible: bool = True, error: Exception | None = None) -> None:
        self.jobs: list[str] = []
        self.lose = lose
        self.visible = visible
        self.error = error
        self.finds = 0

    def find(self):
        self.finds += 1
        return self.jobs[0] if self.jobs and self.visible else None

    def create(self):
        if self.error is not None:
            raise self.error
        self.jobs.append(f"job-{len(self.jobs) + 1}")
        if self.lose:
            raise vendor_error(AmbiguousSendError, None)
        return self.jobs[-1]


def test_a_job_an_earlier_try_created_is_found_and_not_created_again():
    vendor = Vendor()
    vendor.jobs.append("job-1")
    assert find_or_create(vendor.find, vendor.create, what="task") == ("job-1", False)
    assert vendor.jobs == ["job-1"]


def test_a_new_job_is_created_once():
    vendor = Vendor()
    assert find_or_create(vendor.find, vendor.create, what="task") == ("job-1", True)
    assert (vendor.jobs, vendor.finds) == (["job-1"], 1)


def test_a_lost_reply_is_resolved_by_looking_again():
    vendor = Vendor(lose=True)
    assert find_or_create(vendor.find, vendor.create, what="task") == ("job-1", False)
    assert (vendor.jobs, vendor.finds) == (["job-1"], 2)


def test_a_lost_reply_the_lookup_cannot_see_is_retryable_and_never_recreated():
    vendor = Vendor(lose=True, visible=False)
    with pytest.raises(CreateInDoubtError, match="voice task t-1") as raised:
        find_or_create(vendor.find, vendor.create, what="voice task t-1")
    assert vendor.jobs == ["job-1"]
    # not one of the errors that fail a task at once: Airflow's retry looks again first
    with pytest.raises(CreateInDoubtError), airflow_outcome():
        raise raised.value
    vendor.visible, vendor.lose = True, False
    assert find_or_create(vendor.find, vendor.create, what="voice task t-1") == ("job-1", False)
    assert vendor.jobs == ["job-1"]


def test_an_exists_code_means_look_again():
    vendor = Vendor(error=vendor_error(PermanentAPIError, "-20"))
    vendor.jobs.append("job-1")
    vendor.visible = False
    finds = iter([None, "job-1"])
    assert find_or_create(
        lambda: next(finds), vendor.create, what="task", exists_codes=frozenset({"-20"})
    ) == (
        "job-1",
        False,
    )


def test_other_permanent_errors_fail_as_they_are():
    vendor = Vendor(error=vendor_error(PermanentAPIError, "-10"))
    with pytest.raises(PermanentAPIError, match="code -10"):
        find_or_create(vendor.find, vendor.create, what="task", exists_codes=frozenset({"-20"}))
    assert vendor.finds == 1


def test_stable_names_keep_the_key_and_fit_the_limit():
    key = "0123456789abcdef"
    assert stable_name(key, "promo", max_length=64) == f"promo-{key}"
    assert stable_name(key, None, max_length=64) == f"airflow-{key}"
    long = stable_name(key, "x" * 100, max_length=64)
    assert len(long) == 64 and long.endswith(f"-{key}")
    with pytest.raises(InvalidInputError, match="max_length"):
        stable_name(key, "promo", max_length=17)


def test_job_states_travel_as_plain_json():
    state = JobState(SUCCESS, "2 completed", "Buka voice task 7: done", {"task_id": "7", "answered": 3})
    assert JobState.from_json(state.to_json()) == state
    assert state.ended and not JobState(RUNNING, "1", "calling").ended
    assert JobState(FAILURE, "3", "failed").ended
    with pytest.raises(InvalidInputError, match="outcome"):
        JobState("done", "2", "x")


@pytest.mark.parametrize("name", sorted(WATCHES))
def test_every_registered_watch_imports(name):
    module, _, attribute = WATCHES[name].partition(":")
    assert callable(getattr(importlib.import_module(module), attribute).from_options)
