"""The delivery wait as a watch: every platform and kind against the simulator, bounded options and state."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_nxcloud.campaign.delivery import (
    DELIVERED,
    INLINE_MESSAGE_LIMIT,
    SAMPLE_SIZE,
    DeliveryWatch,
    MessageRef,
    MessageStatus,
    Poller,
    delivery_options,
    write_report,
)
from airflow_provider_nxcloud.campaign.delivery import watch as delivery_watch
from airflow_provider_nxcloud.campaign.delivery.messages import REPORT_KEYS
from airflow_provider_nxcloud.campaign.results import read_results, utc_seconds
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.jobs.watch import FAILURE, RUNNING, SUCCESS, JobState, watch_for
from airflow_provider_nxcloud.polling import Pacer, drive
from tests.sensors.senders import (
    SEND_ENDPOINTS,
    UNDELIVERABLE_EMAIL,
    UNDELIVERABLE_SG,
    send_buka_calls,
    send_buka_emails,
    send_campaign,
    send_nxcloud_calls,
    sg_numbers,
)

# request counts below assume one record day: see tests/conftest.py
pytestmark = pytest.mark.usefixtures("one_record_day")

HOOKS = {"buka": BukaHook, "nxcloud": NXCloudHook, "fonedynamics": FoneDynamicsHook}


def _send_sms(platform: str):
    return lambda recipients, results: send_campaign(platform, recipients, results)


#: case -> (platform, kind, send(recipients, results_path), recipients(count, start), never delivered,
#: the status query a poll makes)
CASES: dict[str, tuple[str, str, Any, Any, str, str]] = {
    "buka_sms": ("buka", "sms", _send_sms("buka"), sg_numbers, UNDELIVERABLE_SG, "sms_report"),
    "buka_email": (
        "buka",
        "email",
        send_buka_emails,
        lambda count, start: [f"c{start}-{i}@example.com" for i in range(count)],
        UNDELIVERABLE_EMAIL,
        "email_records",
    ),
    "buka_voice": ("buka", "voice", send_buka_calls, sg_numbers, UNDELIVERABLE_SG, "voice_record"),
    "nxcloud_sms": ("nxcloud", "sms", _send_sms("nxcloud"), sg_numbers, UNDELIVERABLE_SG, "sms_records"),
    "nxcloud_voice": ("nxcloud", "voice", send_nxcloud_calls, sg_numbers, UNDELIVERABLE_SG, "voice_records"),
    "fonedynamics_sms": (
        "fonedynamics",
        "sms",
        _send_sms("fonedynamics"),
        sg_numbers,
        UNDELIVERABLE_SG,
        "get_message",
    ),
}


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves reports on
    return nxcloud_simulator


def watch_over(poller: Poller, refs: list[MessageRef]) -> DeliveryWatch:
    """A delivery watch of ``refs`` asked through ``poller`` (no connection needed)."""
    return DeliveryWatch(poller, delivery_options(poller.platform, poller.kind, message_ids=refs))


def hook_of(platform: str) -> Any:
    hook = HOOKS[platform]()
    hook.get_conn()
    return hook


def watch(case: str, **kwargs: Any) -> tuple[DeliveryWatch, Any]:
    platform, kind = CASES[case][:2]
    hook = hook_of(platform)
    found = watch_for("delivery", hook, delivery_options(platform, kind, **kwargs))
    assert isinstance(found, DeliveryWatch)
    return found, hook


def poll(found: DeliveryWatch, hook: Any) -> JobState:
    return drive(found.poll(), hook.request, Pacer(), lambda seconds: None)


def counts(state: JobState) -> tuple[int, int, int, int]:
    d = state.details
    return d["total"], d["delivered"], d["failed"], d["pending"]


def send(case: str, recipients: list[str], path: Path) -> list[dict[str, Any]]:
    CASES[case][2](recipients, path)
    return list(read_results(path))


def append(path: Path, lines: list[dict[str, Any]]) -> None:
    with path.open("a") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)


# ----- every platform and kind -----------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_messages_delivered_over_several_rounds(sim, tmp_path, case):
    """Two sends 1.5 s apart (reports are final 2 s after a send) in one results file: the first is
    final a round before the second, and each round asks only about what is still open."""
    platform, _, _, recipients, _, query = CASES[case]
    results = tmp_path / "results.jsonl"
    first = send(case, recipients(3, 1), results)
    sim.clock.advance(1.5)
    second = send(case, recipients(2, 101), tmp_path / "second.jsonl")
    append(results, second)
    sent = sim.ledger.count()
    found, hook = watch(case, results_path=str(results))

    assert counts(poll(found, hook)) == (5, 0, 0, 5)
    sim.clock.advance(1)
    state = poll(found, hook)
    assert (state.outcome, counts(state)) == (RUNNING, (5, 3, 0, 2))
    assert {s["message_id"] for s in state.details["pending_sample"]} == {
        line["vendor_id"] for line in second
    }
    asked_before = sim.requests.count(platform, query)
    sim.clock.advance(5)
    state = poll(found, hook)

    assert (state.outcome, counts(state)) == (SUCCESS, (5, 5, 0, 0))
    asked = sim.requests.count(platform, query) - asked_before
    # the last round asked only about the second send's messages
    one_by_one = {
        "buka_voice": 2,
        "fonedynamics_sms": 2,
        "nxcloud_voice": len({x["vendor_id"] for x in second}),
    }
    assert asked == one_by_one.get(case, 1)
    assert sim.ledger.count() == sent  # waiting sent nothing
    assert len(first) == 3
    assert found.conclude() == {"report_path": None}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_unreachable_ratio_fails_naming_the_recipient(sim, tmp_path, case):
    _, _, _, recipients, undeliverable, _ = CASES[case]
    results = tmp_path / "results.jsonl"
    send(case, [*recipients(3, 1), undeliverable], results)
    sim.clock.advance(5)
    found, hook = watch(case, results_path=str(results), min_delivered_ratio=1.0)

    state = poll(found, hook)

    assert (state.outcome, counts(state)) == (FAILURE, (4, 3, 1, 0))
    [failed] = state.details["failed_sample"]
    assert str(failed["number"]).lstrip("+") == undeliverable
    assert undeliverable in state.message
    assert sum(state.details["failure_reasons"].values()) == 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_lower_ratio_passes_and_the_report_is_todays_format(sim, tmp_path, case):
    _, _, _, recipients, undeliverable, _ = CASES[case]
    results = tmp_path / "results.jsonl"
    lines = send(case, [*recipients(2, 1), undeliverable], results)
    sim.clock.advance(5)
    report = tmp_path / "out" / "report.jsonl"
    found, hook = watch(case, results_path=str(results), min_delivered_ratio=0.5, report_path=str(report))

    before = utc_seconds(time.time())
    state = poll(found, hook)
    after = utc_seconds(time.time())
    assert (state.outcome, counts(state)) == (SUCCESS, (3, 2, 1, 0))
    assert found.conclude() == {"report_path": str(report)}

    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert [row["message_id"] for row in rows] == [line["vendor_id"] for line in lines]
    # the same bytes write_report makes of these statuses
    statuses = [
        MessageStatus(
            r["message_id"], r["outcome"], r["number"], r["vendor_status"], r["reason"], r["seen_at"]
        )
        for r in rows
    ]
    expected = tmp_path / "expected.jsonl"
    write_report(expected, statuses)
    assert report.read_bytes() == expected.read_bytes()
    assert [row["outcome"] for row in rows].count(DELIVERED) == 2
    # the key order the delivery view counts lines by; every message was final in the one poll round
    assert (
        list(rows[0])
        == list(REPORT_KEYS)
        == ["message_id", "number", "outcome", "seen_at", "vendor_status", "reason"]
    )
    assert all(before <= row["seen_at"] <= after for row in rows), rows


def test_the_state_directory_is_removed_by_conclude(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send("buka_sms", sg_numbers(2), results)
    found, hook = watch("buka_sms", results_path=str(results))
    poll(found, hook)
    assert found._store is not None
    directory = Path(found._store.directory)
    assert directory.is_dir()

    found.conclude()

    assert not directory.exists()
    assert counts(poll(found, hook)) == (2, 0, 0, 2)  # a poll after conclude() starts over
    found.conclude()


# ----- what is counted -------------------------------------------------------------------------


def test_a_message_named_twice_is_counted_once(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    lines = send("buka_sms", sg_numbers(3), results)
    append(results, [lines[1], lines[0]])  # a results file that repeats two messages
    sim.clock.advance(5)
    report = tmp_path / "report.jsonl"
    found, hook = watch("buka_sms", results_path=str(results), report_path=str(report))

    assert counts(poll(found, hook)) == (3, 3, 0, 0)
    found.conclude()
    assert len(report.read_text().splitlines()) == 3


def test_nxcloud_shared_ids_are_listed_once_a_round_whatever_the_windows(sim, tmp_path):
    """600 numbers in 6 requests of 100 (one messageid each): one read of the day's records (500
    rows a page) finds them all; the windows of one id per request do not repeat it."""
    results = tmp_path / "results.jsonl"
    lines = send("nxcloud_sms", [*sg_numbers(599), UNDELIVERABLE_SG], results)
    assert len({line["vendor_id"] for line in lines}) == 6
    found, hook = watch("nxcloud_sms", results_path=str(results))

    assert poll(found, hook).outcome == RUNNING
    assert sim.requests.count("nxcloud", "sms_records") == 2
    assert sim.requests.count("nxcloud", "sms_record") == 0
    sim.clock.advance(5)
    state = poll(found, hook)

    assert (state.outcome, counts(state)) == (FAILURE, (600, 599, 1, 0))
    assert state.details["failure_reasons"] == {"UNDELIV: undeliverable": 1}
    assert sim.requests.count("nxcloud", "sms_records") == 4


def test_a_chunk_of_the_results_file_never_splits_one_requests_numbers(sim, tmp_path, monkeypatch):
    """Read 101 lines at a time, the second request's first number would be alone in the first chunk:
    the chunk reads on to the end of that messageid, so no shared id is taken for a single one."""
    monkeypatch.setattr(delivery_watch, "IMPORT_CHUNK", 101)
    results = tmp_path / "results.jsonl"
    send("nxcloud_sms", sg_numbers(300), results)
    sim.clock.advance(5)
    found, hook = watch("nxcloud_sms", results_path=str(results))

    state = poll(found, hook)

    assert (state.outcome, counts(state)) == (SUCCESS, (300, 300, 0, 0))
    assert sim.requests.count("nxcloud", "sms_record") == 0
    assert sim.requests.count("nxcloud", "sms_records") == 1


def test_a_bad_results_line_fails_every_poll_naming_it(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    lines = send("buka_sms", sg_numbers(3), results)
    with results.open("a") as out:
        out.write("{not json\n")
    sim.clock.advance(5)
    found, hook = watch("buka_sms", results_path=str(results))

    for _ in range(2):  # a second poll does not skip the line the first one failed on
        with pytest.raises(InvalidInputError) as refused:
            poll(found, hook)
        assert refused.value.parameter == "results_path"
        assert f"line {len(lines) + 1} " in refused.value.problem


def test_a_round_that_fails_half_way_keeps_what_it_found(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send("buka_sms", sg_numbers(450), results)  # three getReport windows: 200, 200, 50
    sim.clock.advance(5)
    found, hook = watch("buka_sms", results_path=str(results))
    made: list[str] = []

    def failing_second(endpoint, **kwargs):
        if len(made) == 1:
            made.append("failed")
            raise ConnectionError("connection reset")
        made.append(endpoint.name)
        return hook.request(endpoint, **kwargs)

    with pytest.raises(ConnectionError):
        drive(found.poll(), failing_second, Pacer())
    before = sim.requests.count("buka", "sms_report")
    state = poll(found, hook)

    assert (state.outcome, counts(state)) == (SUCCESS, (450, 450, 0, 0))
    assert sim.requests.count("buka", "sms_report") - before == 2  # the 250 the first round did not get


def test_inline_ids_wait_like_a_results_file(sim, tmp_path):
    lines = send("buka_sms", sg_numbers(3), tmp_path / "results.jsonl")
    sim.clock.advance(5)
    ids = [line["vendor_id"] for line in lines]
    found, hook = watch("buka_sms", message_ids=[*ids, ids[0]])

    state = poll(found, hook)

    assert (state.outcome, counts(state)) == (SUCCESS, (3, 3, 0, 0))
    assert found.subject == "Buka SMS delivery of 3 messages"


def test_no_messages_is_a_success_at_once(sim):
    found, hook = watch("buka_sms", message_ids=[])
    state = poll(found, hook)
    assert (state.outcome, counts(state)) == (SUCCESS, (0, 0, 0, 0))
    assert sim.requests.count("buka", "sms_report") == 0


def test_unknown_messages_stay_pending_as_not_found(sim):
    found, hook = watch("buka_sms", message_ids=["1234567890123456789"])
    state = poll(found, hook)
    assert (state.outcome, counts(state)) == (RUNNING, (1, 0, 0, 1))
    assert state.details["pending_sample"][0]["reason"] == "not found at the vendor (yet)"


# ----- options ---------------------------------------------------------------------------------


def test_options_round_trip_through_json(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send("nxcloud_voice", sg_numbers(2), results)
    options = delivery_options(
        "nxcloud",
        "voice",
        results_path=results,
        min_delivered_ratio=0.9,
        poller_options={"voice_type": 1},
        report_path=tmp_path / "report.jsonl",
    )
    carried = json.loads(json.dumps(options))
    assert carried == options

    again = watch_for("delivery", hook_of("nxcloud"), carried)

    assert again.options() == options
    assert json.loads(json.dumps(again.options())) == options


def test_inline_options_round_trip_with_send_times():
    options = delivery_options(
        "nxcloud", "sms", message_ids=[{"message_id": "m1", "number": "6591234567", "sent_at": 1_700_000_000}]
    )
    assert options["source"] == {"message_ids": [["m1", "6591234567", "20231114", 1_700_000_000.0]]}
    assert (
        delivery_options(
            "nxcloud", "sms", message_ids=json.loads(json.dumps(options["source"]["message_ids"]))
        )["source"]
        == options["source"]
    )


def test_more_inline_ids_than_the_limit_are_refused():
    ids = [str(10**18 + i) for i in range(INLINE_MESSAGE_LIMIT + 1)]
    with pytest.raises(InvalidInputError) as refused:
        delivery_options("buka", "sms", message_ids=ids)
    assert refused.value.parameter == "message_ids"
    assert "results_path" in refused.value.problem
    assert len(delivery_options("buka", "sms", message_ids=ids[:-1])["source"]["message_ids"]) == 100


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"platform": "buka", "kind": "sms"}, "message_ids"),
        ({"platform": "buka", "kind": "sms", "message_ids": ["1"], "results_path": "r.jsonl"}, "message_ids"),
        ({"platform": "sms", "kind": "sms", "message_ids": ["1"]}, "platform"),
        ({"platform": "fonedynamics", "kind": "voice", "message_ids": ["1"]}, "kind"),
        (
            {"platform": "buka", "kind": "sms", "message_ids": ["1"], "min_delivered_ratio": 2},
            "min_delivered_ratio",
        ),
        ({"platform": "buka", "kind": "sms", "message_ids": [["1"], 5]}, "message_ids"),
    ],
)
def test_bad_options_name_the_parameter(kwargs, parameter):
    with pytest.raises(InvalidInputError) as refused:
        delivery_options(**kwargs)
    assert refused.value.parameter == parameter


def test_a_missing_results_file_fails_the_poll_naming_results_path(sim, tmp_path):
    found, hook = watch("buka_sms", results_path=str(tmp_path / "missing.jsonl"))
    with pytest.raises(InvalidInputError) as refused:
        poll(found, hook)
    assert refused.value.parameter == "results_path"
    assert sim.requests.count("buka", "sms_report") == 0


def fake_results(path: Path, count: int) -> None:
    with path.open("w") as out:
        for i in range(count):
            line = {
                "batch": i // 100,
                "number": f"65{90000000 + i}",
                "status": "accepted",
                "vendor_id": str(10**18 + i),
            }
            out.write(json.dumps(line) + "\n")


def test_options_and_state_do_not_grow_with_the_number_of_messages(sim, tmp_path):
    """A results file is carried by reference and the summary by samples: 30 and 3,000 unknown
    messages give options of the same size and a summary under 8 KB."""
    sizes, details = [], []
    for count in (30, 3_000):
        results = tmp_path / f"{count:05d}" / "results.jsonl"
        results.parent.mkdir()
        fake_results(results, count)
        options = delivery_options(
            "buka", "sms", results_path=results, report_path=results.parent / "r.jsonl"
        )
        sizes.append(len(json.dumps(options)))
        found, hook = watch("buka_sms", results_path=str(results))
        state = poll(found, hook)
        assert counts(state) == (count, 0, 0, count)
        assert len(state.details["pending_sample"]) == min(count, SAMPLE_SIZE)
        details.append(len(json.dumps(state.to_json())))
        found.conclude()

    assert sizes[0] == sizes[1] < 400
    assert max(details) < 8 * 1024
    assert sim.requests.count("buka", "sms_report") == 1 + 15  # 200 ids a request


def test_long_addresses_keep_the_details_within_their_limit(sim, tmp_path):
    """60 undeliverable addresses of about 190 characters: the samples are cut so that the details
    stay under DETAILS_LIMIT and the whole state under the 10 KB an event may carry."""
    addresses = [f"{'c' * 55}{i:05d}@{'d' * 60}.{'e' * 60}.invalid" for i in range(60)]
    results = tmp_path / "results.jsonl"
    send("buka_email", addresses, results)
    sim.clock.advance(5)
    found, hook = watch("buka_email", results_path=str(results), min_delivered_ratio=0.5)

    state = poll(found, hook)

    assert (state.outcome, counts(state)) == (FAILURE, (60, 0, 60, 0))
    assert len(json.dumps(state.details)) <= delivery_watch.DETAILS_LIMIT
    assert len(json.dumps(state.to_json())) < 10 * 1024
    assert 0 < len(state.details["failed_sample"]) < SAMPLE_SIZE
    assert state.details["failed_sample"][0]["number"] == addresses[0]


def test_no_send_endpoint_is_ever_called(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send("buka_sms", sg_numbers(2), results)
    before = {key: n for key, n in sim.requests.by_endpoint().items() if key in SEND_ENDPOINTS}
    found, hook = watch("buka_sms", results_path=str(results))
    poll(found, hook)
    sim.clock.advance(5)
    poll(found, hook)
    after = {key: n for key, n in sim.requests.by_endpoint().items() if key in SEND_ENDPOINTS}
    assert after == before
