"""Buka and NXCloud SMS: a batch whose answer was lost is settled by the vendor's sent-SMS records.

The records prove presence only: every number listed (NXCloud: with the campaign's text)
and stamped within the seconds of the batch's own request. A request dropped before the
vendor processed it leaves the batch in doubt (nothing is ever re-sent on an empty list),
and a record stamped before the send (the same text to the same number earlier) proves
nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.buka import BukaSmsSender
from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.nxcloud import NXCloudSmsSender
from airflow_provider_nxcloud.campaign.recipients import Recipient
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import BatchInDoubtError, PermanentAPIError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator
from airflow_provider_nxcloud.platforms.codes import Disposition
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from tests.operators.conftest import numbers

TEXT = "Flash sale starts at noon"
#: seconds: keeps the look-again of a batch not (yet) listed short
SETTLE = 0.2

PLATFORMS = {
    # platform: (operator, numbers per batch, send endpoint)
    "buka": (BukaSendSmsOperator, 1000, "sms_send"),
    "nxcloud": (NXCloudSendSmsOperator, 100, "sms_send_v2"),
}


def operator(platform: str, **kwargs: Any) -> Any:
    kwargs.setdefault("text", TEXT)
    kwargs.setdefault("settle_delay", SETTLE)
    return PLATFORMS[platform][0](task_id="send", **kwargs)


def sent(sim: Any, platform: str) -> Counter[str]:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform=platform, kind="sms"))


def sends(sim: Any, platform: str) -> int:
    return sim.requests.count(platform, PLATFORMS[platform][2])


def batch_size(platform: str) -> int:
    return PLATFORMS[platform][1]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("fault", ["reset_after", "http_503_after"])
def test_lost_answer_is_settled_by_the_records_without_a_person_or_a_second_send(
    nxcloud_simulator, task_run, tmp_path, platform, fault
):
    size = batch_size(platform)
    recipients = numbers(2 * size + 50)
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={2: fault})  # batch 1 processed, its answer lost
    summary = operator(platform, recipients=recipients, results_path=str(results)).execute(task_run.context())

    assert summary["resolved_batches"] == 1
    assert summary["accepted"] == len(recipients) and summary["skipped_batches"] == []
    assert sends(nxcloud_simulator, platform) == 3  # batch 1 never sent again
    assert sent(nxcloud_simulator, platform) == Counter(recipients)  # each number once
    assert nxcloud_simulator.ledger.duplicates() == {}
    lines = list(read_results(results))
    assert [line["number"] for line in lines] == recipients
    assert {line["status"] for line in lines} == {"accepted"}
    # the settled batch's lines carry the ids the lost answer would have
    settled = lines[size : 2 * size]
    entries = {e.recipient: e for e in nxcloud_simulator.ledger.entries(platform=platform)}
    if platform == "buka":
        assert all(line["vendor_id"] == entries[line["number"]].vendor_id for line in settled)
    else:
        assert all(line["vendor_id"] == entries[line["number"]].batch_id for line in settled)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_request_dropped_before_the_vendor_processed_it_stays_in_doubt(nxcloud_simulator, task_run, platform):
    size = batch_size(platform)
    recipients = numbers(size + 50)
    nxcloud_simulator.faults.set(at={2: "reset_before"})  # batch 1 never reached the vendor
    with pytest.raises(AirflowFailException) as failed:
        operator(platform, recipients=recipients).execute(task_run.context())

    in_doubt = failed.value.__cause__
    assert isinstance(in_doubt, BatchInDoubtError)
    assert f"batch 1 (recipients {size + 1}-{size + 50}" in str(failed.value)
    assert [batch.index for batch in in_doubt.batches] == [1]
    assert sends(nxcloud_simulator, platform) == 2  # never sent on the strength of an empty list
    assert sent(nxcloud_simulator, platform) == Counter(recipients[:size])


def _earlier_record(sim: Any, platform: str, number: str, seconds_before: float) -> None:
    """The same text to the same number, accepted ``seconds_before`` now (an earlier campaign's)."""
    now = sim.clock.now()
    app = accounts.BUKA_SMS_APP_ID if platform == "buka" else accounts.NXCLOUD_SMS_APP_KEY
    sim.ledger.add(
        LedgerEntry(
            platform=platform,
            kind="sms",
            account=accounts.BUKA_API_KEY if platform == "buka" else app,
            recipient=number,
            content=TEXT,
            vendor_id="1" * 19 if platform == "buka" else "e" * 32,
            client_reference=None,
            endpoint=PLATFORMS[platform][2],
            time=now - seconds_before,
            status="pending",
            app=app,
        )
    )


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_record_stamped_before_the_send_does_not_count(nxcloud_simulator, task_run, platform):
    # batch 1 is one number that had the same text 10 minutes ago; this send of it is dropped
    size = batch_size(platform)
    recipients = numbers(size + 1)
    _earlier_record(nxcloud_simulator, platform, recipients[-1], 600)
    nxcloud_simulator.faults.set(at={2: "reset_before"})
    with pytest.raises(AirflowFailException) as failed:
        operator(platform, recipients=recipients).execute(task_run.context())

    assert isinstance(failed.value.__cause__, BatchInDoubtError)
    assert "batch 1" in str(failed.value)
    assert sends(nxcloud_simulator, platform) == 2
    assert sent(nxcloud_simulator, platform)[recipients[-1]] == 1  # the earlier one only


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_plain_retry_cannot_tell_and_asks_a_person(nxcloud_simulator, task_run, platform):
    # a try dies with batch 1 in flight: the next try does not know when it was sent
    size = batch_size(platform)
    recipients = numbers(size + 50)
    nxcloud_simulator.faults.set(at={2: "reset_before"})
    op = operator(platform, recipients=recipients)
    with pytest.raises(AirflowFailException):
        op.execute(task_run.context())
    with pytest.raises(AirflowFailException, match="batch 1") as failed:
        op.execute(task_run.retry())
    assert isinstance(failed.value.__cause__, BatchInDoubtError)
    assert sends(nxcloud_simulator, platform) == 2


def test_nxcloud_lost_answer_of_the_first_batch_cannot_learn_the_stamp_zone(nxcloud_simulator, task_run):
    # UTC stamps read as a UTC+8 day's are 8 hours off: with no answered send of this try to
    # learn the zone from, a record in the window under one reading only proves nothing
    recipients = numbers(150)
    nxcloud_simulator.faults.set(at={1: "reset_after"})  # batch 0 processed, its answer lost
    with pytest.raises(AirflowFailException, match="batch 0") as failed:
        operator("nxcloud", recipients=recipients).execute(task_run.context())
    assert isinstance(failed.value.__cause__, BatchInDoubtError)
    assert sends(nxcloud_simulator, "nxcloud") == 1
    assert sent(nxcloud_simulator, "nxcloud") == Counter(recipients[:100])


def test_nxcloud_other_text_to_the_same_numbers_does_not_count(nxcloud_simulator, task_run):
    # batch 1 (one number) is dropped; another text went to that number within the window
    recipients = numbers(101)
    # request 2 is the other text, request 3 batch 1's own send
    nxcloud_simulator.faults.set(at={3: "reset_before"})
    original = NXCloudHook.send_sms

    def send_and_another(self: NXCloudHook, numbers_: list[str], text: str, **kwargs: Any) -> Any:
        if numbers_ == recipients[100:]:
            original(self, numbers_, "Another campaign", app_key=kwargs["app_key"])
        return original(self, numbers_, text, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(NXCloudHook, "send_sms", send_and_another)
        with pytest.raises(AirflowFailException, match="batch 1"):
            operator("nxcloud", recipients=recipients).execute(task_run.context())
    assert sent(nxcloud_simulator, "nxcloud")[recipients[-1]] == 1  # the other text only


def test_nxcloud_lookup_without_the_sms_app_secret_cannot_tell(nxcloud_simulator, task_run, monkeypatch):
    recipients = numbers(150)
    nxcloud_simulator.faults.set(at={2: "reset_after"})
    real = NXCloudHook.app_key

    def no_secret(self: NXCloudHook, extra: str, override: str | None = None) -> str:
        if extra == "sms_app_secret":
            from airflow_provider_nxcloud.exceptions import ConnectionConfigError

            raise ConnectionConfigError(self.conn_id, extra, "is empty")
        return real(self, extra, override)

    monkeypatch.setattr(NXCloudHook, "app_key", no_secret)
    with pytest.raises(AirflowFailException, match="batch 1"):
        operator("nxcloud", recipients=recipients).execute(task_run.context())
    assert sends(nxcloud_simulator, "nxcloud") == 2
    assert sent(nxcloud_simulator, "nxcloud") == Counter(recipients)  # each once, none re-sent


def test_buka_unreadable_records_cannot_tell(nxcloud_simulator, task_run):
    recipients = numbers(1050)
    # batch 1 is processed and its answer lost; both getSentRcd reads are refused (-22, not retried)
    nxcloud_simulator.faults.set(at={2: "reset_after"})
    nxcloud_simulator.faults.next_code("-22", 2, endpoint="sms_sent_records", platform="buka")
    with pytest.raises(AirflowFailException, match="batch 1"):
        operator("buka", recipients=recipients).execute(task_run.context())
    # looked (and looked again, when the settle delay had not passed since the whole-second send time)
    assert nxcloud_simulator.requests.count("buka", "sms_sent_records") >= 1
    assert sends(nxcloud_simulator, "buka") == 2
    assert sent(nxcloud_simulator, "buka") == Counter(recipients)


def test_buka_personalised_lost_answer_is_settled(nxcloud_simulator, task_run):
    recipients = [{"number": n, "text": f"Hello {i}"} for i, n in enumerate(numbers(1050))]
    nxcloud_simulator.faults.set(at={2: "reset_after"})
    summary = operator("buka", recipients=recipients, text=None).execute(task_run.context())
    assert summary["resolved_batches"] == 1 and summary["accepted"] == 1050
    assert nxcloud_simulator.requests.count("buka", "sms_send_batch") == 2
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_senders_settle_delay_and_earlier_try_lookups():
    assert BukaSmsSender.settle_delay == 60.0 and NXCloudSmsSender.settle_delay == 60.0
    batch = Batch(0, [Recipient("6591000001", "6591000001", 1)], "c" * 16, 1)
    hook_b, hook_n = BukaHook(), NXCloudHook()
    # nothing noted by send(): a batch from an earlier try; no request is made
    assert BukaSmsSender(hook_b, text="hi", app_id="a").lookup(batch) is None
    assert NXCloudSmsSender(hook_n, text="hi", app_key="k").lookup(batch) is None


class _FakeNXCloudHook:
    """Sends nothing; answers getSmsCdr with the given rows (one page) for any day."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        #: days answered code 3 (a reading of today that is not the vendor's day yet)
        self.refused: set[str] = set()
        self.asked: list[str] = []

    def app_key(self, extra: str, override: str | None = None) -> str:
        return "k" if extra == "sms_app_key" else "secret"

    def send_sms(self, *args: Any, **kwargs: Any) -> str | None:
        raise ConnectionResetError("the answer was lost")

    def list_sms_records(self, day: str, **kwargs: Any) -> tuple[int, list[dict[str, Any]]]:
        self.asked.append(day)
        if day in self.refused:
            raise PermanentAPIError(
                platform="nxcloud",
                service="sms_report",
                code="3",
                meaning="date out of range",
                disposition=Disposition.FAIL,
                endpoint="sms_records",
            )
        return len(self.rows), list(self.rows)


def _stamp(epoch: float, hours: int) -> str:
    import datetime as dt

    zone = dt.timezone(dt.timedelta(hours=hours))
    return dt.datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M:%S")


def _lost_send(
    rows_at: Any, refused: tuple[str, ...] = (), now: float = 1_790_000_000.0
) -> tuple[NXCloudSmsSender, Batch]:
    """A sender whose send of a one-number batch at ``now`` (default 2026-09-21 14:13:20 UTC)
    lost its answer; rows from ``rows_at(now)``, the days ``refused`` answered code 3."""
    hook = _FakeNXCloudHook([])
    hook.refused = set(refused)
    sender = NXCloudSmsSender(hook, text=TEXT, app_key="k", clock=lambda: now)  # type: ignore[arg-type]
    batch = Batch(1, [Recipient("6591000001", "6591000001", 1)], "c" * 16, 2)
    with pytest.raises(ConnectionResetError):
        sender.send(batch)
    hook.rows = rows_at(now)
    return sender, batch


def _row(stamp: str, msgid: str = "f" * 32, body: str = TEXT) -> dict[str, Any]:
    return {"phone": "6591000001", "body": body, "senderid": "", "msgid": msgid, "date": stamp}


def test_nxcloud_stamps_in_utc8_are_read_as_utc8_when_the_rows_show_it():
    # a UTC+8 stamp of now reads 8 hours ahead as UTC: the rows are UTC+8 ones
    sender, batch = _lost_send(lambda now: [_row(_stamp(now, 8))])
    found = sender.lookup(batch)
    assert found is not None and [(r.number, r.vendor_id) for r in found] == [("6591000001", "f" * 32)]


def test_nxcloud_a_stamp_8_hours_earlier_is_not_taken_for_this_send():
    # the same text 8 hours earlier, stamped in UTC+8, reads as now in UTC: with nothing
    # telling the zone, it proves nothing
    sender, batch = _lost_send(lambda now: [_row(_stamp(now - 8 * 3600, 8))])
    assert sender.lookup(batch) is None


def test_nxcloud_another_text_in_the_window_does_not_count():
    sender, batch = _lost_send(lambda now: [_row(_stamp(now, 8), body="Another text")])
    assert sender.lookup(batch) is None


def test_nxcloud_a_day_the_vendor_refuses_is_skipped():
    # 17:13 UTC: the UTC+8 reading of today is tomorrow, which the vendor answers code 3;
    # the other day's rows still prove the send
    evening = 1_790_000_000.0 + 3 * 3600
    sender, batch = _lost_send(lambda now: [_row(_stamp(now, 8))], refused=("20260922",), now=evening)
    assert sender.lookup(batch) is not None
    assert sorted(sender.hook.asked) == ["20260921", "20260922"]  # type: ignore[attr-defined]
