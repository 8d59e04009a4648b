"""NXCloud number check end to end against the simulator: submit exactly once, wait, write results."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections import Counter
from types import SimpleNamespace

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, PokeReturnValue, TaskDeferred

from airflow_provider_nxcloud.exceptions import BatchInDoubtError, InvalidInputError, RetryableAPIError
from airflow_provider_nxcloud.jobs.nxcloud_number_check import (
    CheckedBatch,
    NumberCheckWatch,
    batches_from,
    result_line,
)
from airflow_provider_nxcloud.operators.nxcloud_number_check import NXCloudNumberCheckOperator
from airflow_provider_nxcloud.platforms import nxcloud as vendor
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.sensors.nxcloud_number_check import (
    NXCloudNumberCheckSensor,
    valid_numbers,
    write_valid_numbers,
)
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.operators.conftest import TaskRun
from tests.sensors.senders import context, sg_numbers
from tests.triggers.test_wait import all_events, sleeping_on

# request counts below assume one record day: see tests/conftest.py
pytestmark = pytest.mark.usefixtures("one_record_day")

SUBMIT = ("nxcloud", "number_check_submit")
QUERY = ("nxcloud", "number_check_query")
DEAD = "6591230000"  # ends in 0000: the simulator finds it invalid / inactive
TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # results come only when a test advances the clock
    return nxcloud_simulator


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    """No real waits between requests; the tests that prove the vendor's spacing put it back."""
    monkeypatch.setattr(vendor, "NUMBER_CHECK_QUERY_MIN_INTERVAL_S", 0.0)
    monkeypatch.setattr(vendor, "NUMBER_CHECK_SUBMIT_INTERVALS", ((vendor.NUMBER_CHECK_MAX_NUMBERS, 0.0),))


@pytest.fixture
def small_batches(monkeypatch):
    """Two numbers per submit, so a few numbers make several batches."""
    monkeypatch.setattr(vendor, "NUMBER_CHECK_MAX_NUMBERS", 2)


def operator(**kwargs) -> NXCloudNumberCheckOperator:
    kwargs.setdefault("numbers", sg_numbers(5))
    # a batch with no result rows is looked up again this long after its submit (300 s by default)
    kwargs.setdefault("settle_delay", 0)
    return NXCloudNumberCheckOperator(task_id="check", **kwargs)


def sensor(**kwargs) -> NXCloudNumberCheckSensor:
    kwargs.setdefault("poke_interval", 0.01)
    kwargs.setdefault("timeout", 60)
    return NXCloudNumberCheckSensor(task_id="checked", **kwargs)


def checked(sim) -> Counter[str]:
    return Counter(entry.recipient for entry in sim.ledger.entries(kind="number_check"))


def done_value(result) -> dict:
    assert isinstance(result, PokeReturnValue) and result.is_done
    json.dumps(result.xcom_value)
    return result.xcom_value


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# ----- submitting -------------------------------------------------------------------------------------


def test_12000_numbers_are_three_submits_at_the_documented_rate(sim, monkeypatch):
    monkeypatch.setattr(vendor, "NUMBER_CHECK_SUBMIT_INTERVALS", ((2_000, 0.1), (5_000, 1.0)))
    numbers = [f"6591{i:06d}" for i in range(1, 12_001)]
    started = time.monotonic()
    result = operator(numbers=numbers).execute(TaskRun().context())

    # a submit of more than 2,000 numbers waits a second after the previous one, of up to 2,000 0.1 s
    assert time.monotonic() - started >= 1.0 + 0.1
    assert sim.requests.count(*SUBMIT) == 3
    assert checked(sim) == Counter(numbers)
    assert [b["numbers"] for b in result["batches"]] == [5000, 5000, 2000]
    assert (result["submitted"], result["rejected_up_front"], result["level"]) == (12_000, 0, "basic")
    json.dumps(result)


def test_the_xcom_names_each_batch_and_the_query_date(sim, small_batches):
    result = operator(level="HLR").execute(TaskRun().context())

    assert sim.requests.count(*SUBMIT) == 3 == sim.requests.total()
    assert result["date"] == TODAY.isoformat()
    assert result["level"] == "hlr"
    assert {entry.content for entry in sim.ledger.entries(kind="number_check")} == {"5"}
    assert [b["numbers"] for b in result["batches"]] == [2, 2, 1]
    for batch in result["batches"]:
        assert batch["batch_no"].startswith("airflow-") and len(batch["batch_no"]) <= 64
        assert (batch["fail_numbers"], batch["date"]) == (0, result["date"])
        # the ledger's requestId and batchNo are the ones the XCom names
        assert {(e.vendor_id, e.client_reference) for e in sim.ledger.entries(kind="number_check")} >= {
            (batch["request_id"], batch["batch_no"])
        }


def test_batch_numbers_are_stable_across_tries_and_distinct_per_mapped_instance(
    sim, small_batches, airflow_variables
):
    first = operator().execute(TaskRun().context())
    # the same task instance with its task state gone: the finished check's sealed record stops a
    # second submit, unless it is removed (the explicit way to run a finished campaign again)
    assert operator().execute(TaskRun().context())["batches"] == []
    assert sim.requests.count(*SUBMIT) == 3
    airflow_variables.values.clear()
    again = operator().execute(TaskRun().context())
    mapped = operator().execute(TaskRun(map_index=3).context())

    def names(result):
        return [b["batch_no"] for b in result["batches"]]

    assert names(first) == names(again)
    assert not set(names(first)) & set(names(mapped))


def test_a_retry_resumes_after_the_last_accepted_batch(sim, small_batches):
    run = TaskRun()
    numbers = sg_numbers(5)
    sim.faults.set(at={2: "vendor_busy"})  # the second submit answers 299: retryable, not accepted
    with pytest.raises(RetryableAPIError):
        operator(numbers=numbers).execute(run.context())
    assert checked(sim) == Counter(numbers[:2])

    result = operator(numbers=numbers).execute(run.retry())

    assert checked(sim) == Counter(numbers)
    assert sim.ledger.duplicates() == {}
    assert sim.requests.count(*SUBMIT) == 2 + 2  # the retry submits batches 1 and 2 only
    assert result["resumed_batches"] == 1
    assert [b["numbers"] for b in result["batches"]] == [2, 2, 1]
    assert all(b["request_id"] for b in result["batches"])  # the resumed batch too, from the task state


def test_a_lost_reply_is_looked_up_by_batch_no_not_resubmitted(sim, small_batches):
    run = TaskRun()
    numbers = sg_numbers(5)
    sim.faults.set(at={2: "reset_after"})  # the second batch is accepted, its reply lost
    with pytest.raises(AirflowFailException) as failed:
        operator(numbers=numbers).execute(run.context())
    assert isinstance(failed.value.__cause__, BatchInDoubtError)  # no results yet: it cannot tell
    assert "batch 1" in str(failed.value)
    assert sim.requests.count(*QUERY) >= 1

    sim.clock.advance(5)  # the lost batch's results are in
    result = operator(numbers=numbers).execute(run.retry())

    assert checked(sim) == Counter(numbers)
    assert sim.ledger.duplicates() == {}
    assert sim.requests.count(*SUBMIT) == 3  # batches 0, 1 (lost) and 2: none twice
    assert result["resolved_batches"] == 1
    lost = result["batches"][1]
    assert lost["request_id"] and lost["fail_numbers"] is None  # failNumber was in the lost reply
    assert lost["request_id"] == sim.ledger.entries(kind="number_check")[2].vendor_id


@pytest.mark.parametrize(("policy", "submits"), [("skip", 3), ("resend", 4)])
def test_in_doubt_decisions(sim, small_batches, policy, submits):
    sim.faults.set(at={2: "reset_after"})
    run = TaskRun()
    with pytest.raises(AirflowFailException, match="batch 1") as failed:
        operator().execute(run.context())
    assert sim.requests.count(*SUBMIT) == 2  # nothing after the batch in doubt
    decisions = {failed.value.__cause__.reference: policy}
    result = operator(in_doubt_decisions=decisions).execute(run.retry())
    assert sim.requests.count(*SUBMIT) == submits
    assert len(result["batches"]) == 3
    if policy == "skip":
        assert result["skipped_batches"] == [1]
        assert result["batches"][1]["request_id"] is None and result["batches"][1]["numbers"] == 2
    else:
        assert sum(sim.ledger.duplicates().values()) == 4  # the vendor saw batch 1 twice, as asked


def test_a_reply_an_earlier_try_kept_settles_its_batch_without_a_request(sim, small_batches):
    run = TaskRun()
    first = operator().execute(run.context())
    progress = run.store.values["nxcloud_campaign_progress"]
    # the earlier try died after batch 2's reply, before recording it done
    run.store.values["nxcloud_campaign_progress"] = {**progress, "done": [[0, 1]], "in_flight": [2]}
    before = sim.requests.total()

    again = operator().execute(run.retry())

    assert sim.requests.total() == before
    assert again["batches"] == first["batches"]
    assert again["resolved_batches"] == 1


def test_on_invalid_skip_leaves_bad_numbers_out(sim):
    result = operator(numbers=[*sg_numbers(2), "123", sg_numbers(1)[0]], on_invalid="skip").execute(
        TaskRun().context()
    )
    assert (result["submitted"], result["invalid"], result["duplicates"]) == (2, 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"numbers": [*sg_numbers(2), "12345"]}, "numbers"),
        ({"numbers": []}, "numbers"),
        ({"numbers": None}, "numbers"),
        ({"level": "medium"}, "level"),
        ({"on_invalid": "ignore"}, "on_invalid"),
        ({"in_doubt": "retry"}, "in_doubt"),
    ],
)
def test_bad_input_fails_before_any_request(sim, kwargs, parameter):
    with pytest.raises(AirflowFailException) as failed:
        operator(**kwargs).execute(TaskRun().context())
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert failed.value.__cause__.parameter == parameter
    assert sim.requests.total() == 0


def test_a_wrong_app_key_fails_without_a_retry(sim):
    with pytest.raises(AirflowFailException, match="number_check code 202"):
        operator(app_key="someone-elses-app").execute(TaskRun().context())
    assert sim.ledger.count() == 0


def test_expand_keeps_arguments_unrendered():
    op = NXCloudNumberCheckOperator.partial(task_id="check", level="hlr").expand(numbers=[["6591000001"]])
    assert op.partial_kwargs["level"] == "hlr"


# ----- waiting and writing the results --------------------------------------------------------------


def submitted(sim, numbers, **kwargs) -> dict:
    return operator(numbers=numbers, **kwargs).execute(TaskRun().context())


def test_poke_waits_for_every_number_then_writes_one_line_each(sim, tmp_path, small_batches):
    numbers = [*sg_numbers(4), DEAD]
    summary = submitted(sim, numbers)
    results = tmp_path / "out" / "checked.jsonl"
    wait = sensor(check_task_id="check", results_path=str(results))
    ctx = context(check=summary)

    assert wait.poke(ctx) is False
    assert sim.requests.count(*QUERY) == 3  # one count per batch
    sim.clock.advance(5)
    xcom = done_value(wait.poke(ctx))

    written = lines(results)
    assert [line["number"] for line in written] == numbers
    assert written[0] == {
        "number": numbers[0],
        "valid": True,
        "number_type": "mobile",
        "operator": written[0]["operator"],
        "country": "SG",
        "active": None,
        "ported": None,
        "mcc": None,
        "mnc": None,
        "check_level": "1",
        "batch_no": summary["batches"][0]["batch_no"],
        "error": None,
    }
    assert written[-1]["valid"] is False and written[-1]["number_type"] == "invalid"
    assert xcom["numbers"] == 5 and (xcom["valid"], xcom["not_valid"]) == (4, 1)
    assert xcom["by_type"] == {"invalid": 1, "mobile": 4}
    assert xcom["results_path"] == str(results)
    assert list(valid_numbers(results)) == numbers[:4]
    clean = tmp_path / "clean" / "numbers.txt"
    assert write_valid_numbers(results, str(clean)) == 4
    assert clean.read_text().splitlines() == numbers[:4]  # a send operator's recipients file
    assert sim.requests.count(*SUBMIT) == 3  # waiting sent nothing


def test_hlr_results(sim, tmp_path):
    numbers = ["6591000077", "6591000001", DEAD]
    summary = submitted(sim, numbers, level="hlr")
    sim.clock.advance(5)
    results = tmp_path / "checked.jsonl"
    done_value(sensor(batches=summary, results_path=str(results)).poke(context()))

    ported, plain, dead = lines(results)
    assert (ported["ported"], ported["active"], ported["mcc"], ported["check_level"]) == (
        True,
        True,
        "525",
        "5",
    )
    assert ported["mnc"] and plain["ported"] is False
    assert (dead["active"], dead["valid"]) == (False, False)


def test_reading_the_results_takes_the_fewest_pages(sim, tmp_path):
    summary = submitted(sim, [f"6591{i:06d}" for i in range(1, 251)])
    sim.clock.advance(5)
    xcom = done_value(sensor(batches=summary, results_path=str(tmp_path / "r.jsonl")).poke(context()))
    assert xcom["numbers"] == 250
    assert sim.requests.count(*QUERY) == 1 + 3  # one count, then pages of 100


def test_batch_numbers_alone_wait_until_the_rows_stop_coming(sim, tmp_path, small_batches):
    summary = submitted(sim, sg_numbers(3))
    names = ",".join(b["batch_no"] for b in summary["batches"])
    wait = sensor(batches=names, results_path=str(tmp_path / "r.jsonl"))
    ctx = context()

    assert wait.poke(ctx) is False  # no rows yet
    sim.clock.advance(5)
    assert wait.poke(ctx) is False  # rows, but no count to compare them with
    assert done_value(wait.poke(ctx))["numbers"] == 3  # the same rows again: complete


def test_a_rendered_xcom_string_is_read_as_json(sim, tmp_path):
    summary = submitted(sim, sg_numbers(1))
    sim.clock.advance(5)
    xcom = done_value(
        sensor(batches=json.dumps(summary), results_path=str(tmp_path / "r.jsonl")).poke(context())
    )
    assert xcom["numbers"] == 1


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({}, "batches"),
        ({"check_task_id": "check", "batches": ["b-1"]}, "batches"),
        ({"check_task_id": "absent"}, "check_task_id"),
        ({"batches": ["b-1"], "date": (TODAY - dt.timedelta(days=15)).isoformat()}, "date"),
        ({"batches": ["b-1"], "date": "23/11/2026"}, "date"),
        ({"batches": ["b" * 65]}, "batches"),
        ({"batches": ["b-1"], "results_path": None}, "results_path"),
    ],
)
def test_sensor_bad_input_fails_without_a_request(sim, tmp_path, kwargs, parameter):
    kwargs.setdefault("results_path", str(tmp_path / "r.jsonl"))
    with pytest.raises(AirflowFailException) as failed:
        sensor(**kwargs).poke(context())
    assert str(failed.value).startswith(parameter)
    assert sim.requests.total() == 0


def test_the_trigger_carries_the_overrides_as_the_hook_read_them(sim, tmp_path):
    summary = submitted(sim, sg_numbers(2))
    wait = sensor(
        check_task_id="check",
        results_path=str(tmp_path / "checked.jsonl"),
        deferrable=True,
        disposition_overrides={"nxcloud:number_check:-1": "retry", 2: "fail"},
    )
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(context(check=summary))
    kwargs = deferred.value.trigger.serialize()[1]
    assert kwargs["disposition_overrides"] == {"2": "fail", "nxcloud:number_check:-1": "retry"}


async def test_deferrable_waits_in_the_triggerer_and_writes_on_completion(sim, tmp_path, monkeypatch):
    summary = submitted(sim, [*sg_numbers(2), DEAD])
    results = tmp_path / "checked.jsonl"
    wait = sensor(check_task_id="check", results_path=str(results), deferrable=True, poke_interval=10)
    ctx = context(check=summary)
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(ctx)

    path, kwargs = deferred.value.trigger.serialize()
    assert path == "airflow_provider_nxcloud.triggers.wait.WaitTrigger"
    assert (kwargs["watch"], kwargs["platform"], kwargs["cancel_on_kill"]) == (
        "nxcloud_number_check",
        "nxcloud",
        False,
    )
    json.dumps(kwargs)
    monkeypatch.setattr(vendor, "NUMBER_CHECK_QUERY_MIN_INTERVAL_S", 3.0)
    trigger = sleeping_on(sim, WaitTrigger(**kwargs))
    [event] = await all_events(trigger)

    assert event.payload["status"] == "success"
    assert event.payload["checked"] == 3 and event.payload["expected"] == 3
    assert trigger.sleeps[0] == pytest.approx(3.0, abs=0.5)  # the sensor's poke came just before
    monkeypatch.setattr(vendor, "NUMBER_CHECK_QUERY_MIN_INTERVAL_S", 0.0)
    queries = sim.requests.count(*QUERY)
    xcom = wait.execute_complete(ctx, event.payload)

    assert (xcom["numbers"], xcom["valid"]) == (3, 2)
    assert len(lines(results)) == 3
    assert sim.requests.count(*QUERY) == queries + 1  # one page
    assert sim.requests.count(*SUBMIT) == 1


def test_queries_are_three_seconds_apart(monkeypatch):
    """The result query allows one request per 3 seconds, between batches and between polls."""
    monkeypatch.setattr(vendor, "NUMBER_CHECK_QUERY_MIN_INTERVAL_S", 3.0)
    now = [1_000.0]
    asked: list[float] = []

    def request(endpoint, json_body):
        asked.append(now[0])
        return {"code": 0, "data": {"totalSize": 0, "result": []}}

    def sleep(seconds: float) -> None:
        now[0] += seconds

    watch = NumberCheckWatch([CheckedBatch(f"b-{i}", TODAY.isoformat(), 2) for i in range(3)])
    pacer = Pacer(lambda: now[0])
    drive(watch.poll(), request, pacer, sleep)
    now[0] += 0.5  # the next poke comes soon after
    state = drive(watch.poll(), request, pacer, sleep)

    assert len(asked) == 6
    assert all(later - earlier >= 3.0 for earlier, later in itertools.pairwise(asked))
    assert state.message == (
        "NXCloud number check batch b-0 (+2 more): 0 of 6 numbers checked, 0 of 3 batches complete"
    )


# ----- pure parts -------------------------------------------------------------------------------------


def test_batches_from_the_operators_xcom_keep_their_counts_and_dates():
    xcom = {
        "date": "2026-11-22",
        "batches": [
            {"batch_no": "a", "numbers": 5, "fail_numbers": 1, "date": "2026-11-23"},
            {"batch_no": "b", "numbers": 5, "fail_numbers": None},
            "a",
        ],
    }
    today = dt.date(2026, 11, 23)
    assert batches_from(xcom, today=today) == [
        CheckedBatch("a", "2026-11-23", 4),
        CheckedBatch("b", "2026-11-22", None),
    ]
    assert batches_from("a, b", date="2026-11-20", today=today) == [
        CheckedBatch("a", "2026-11-20"),
        CheckedBatch("b", "2026-11-20"),
    ]
    watch = NumberCheckWatch(batches_from(xcom, today=today))
    hook = SimpleNamespace(settings=SimpleNamespace(extras={"number_check_app_key": "app"}))
    again = NumberCheckWatch.from_options(hook, watch.options())
    assert (again.batches, again.app_key) == (watch.batches, "app")


def test_a_row_with_an_error_code_is_not_valid():
    line = result_line({"phone": "+6591000001", "numberType": "mobile", "code": 114}, "b-1")
    assert (line["valid"], line["error"], line["batch_no"]) == (False, "114 Invalid number format", "b-1")


def test_every_reading_of_the_submit_day_travels_with_a_batch():
    # the query page names no zone for ``date``: a batch keeps its UTC day and its UTC+8 day
    today = dt.date(2026, 11, 24)
    xcom = {"batches": [{"batch_no": "b-1", "date": "2026-11-23", "dates": ["2026-11-23", "2026-11-24"]}]}
    [batch] = batches_from(xcom, today=today)
    assert batch.dates == ("2026-11-23", "2026-11-24")
    assert CheckedBatch.from_json(json.loads(json.dumps(batch.to_json()))) == batch
    # an explicit date is asked alone
    [only] = batches_from(xcom, date="2026-11-24", today=today)
    assert only.dates == ("2026-11-24",)
    # a trigger serialised before the change (three items) still reads
    assert CheckedBatch.from_json(["b-1", "2026-11-23", 2]).dates == ("2026-11-23",)
