"""Under faults a campaign loses nothing and duplicates nothing: 10,000 recipients per platform.

Each SMS campaign meets a seeded 20% of transient faults on its vendor requests, runs
try after try as Airflow would, has one try SIGKILLed mid-send, has every batch in
doubt checked against the simulator before a person's decision, and ends with every
recipient in the simulator's ledger exactly once. See :mod:`tests.reliability.faults`;
``python -m tests.reliability`` runs the same campaigns at 100,000 recipients.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from airflow_provider_nxcloud.campaign.progress import STORE_KEY, Progress
from airflow_provider_nxcloud.testing.faults import FaultKind, FaultPlan, FaultRule
from tests.reliability.faults import (
    ANSWER_LOST,
    CREATES,
    SMS_PLATFORMS,
    SUCCESS,
    TRANSIENT_KINDS,
    DurableTaskRun,
    FileTaskStateStore,
    Report,
    run_creates,
    run_sms_campaign,
)

RECIPIENTS = 10_000
TASK_INSTANCES = 20


def transient(report: Report) -> int:
    return sum(n for kind, n in report.faults.items() if kind in {k.value for k in TRANSIENT_KINDS})


def assert_exactly_once(report: Report) -> None:
    assert report.outcome == SUCCESS, report.outcome
    assert (report.lost, report.duplicated) == (0, 0), report


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)
    return nxcloud_simulator


@pytest.mark.parametrize("platform", ["buka", "nxcloud"])
def test_a_campaign_on_a_platform_without_lookups_is_sent_exactly_once(sim, tmp_path, platform):
    report = run_sms_campaign(sim, platform, RECIPIENTS, tmp_path)

    assert_exactly_once(report)
    sent = Counter(entry.recipient for entry in sim.ledger.entries(platform=platform, kind="sms"))
    assert len(sent) == RECIPIENTS and set(sent.values()) == {1}
    assert sim.ledger.duplicates() == {}
    # the plan met the campaign: answers were lost and a person settled each batch in doubt
    assert transient(report) >= 0.1 * report.requests
    assert report.decisions["skip"] + report.decisions["resend"] >= 1
    assert report.looked_up == 0  # neither vendor can look a batch up
    assert report.killed == 1
    assert report.in_hook_retries >= 1
    assert report.task_retries >= report.killed + sum(report.decisions.values())


def test_fone_dynamics_settles_what_its_list_proves_and_asks_a_person_about_the_rest(sim, tmp_path):
    report = run_sms_campaign(sim, "fonedynamics", RECIPIENTS, tmp_path)

    assert_exactly_once(report)
    sent = Counter(entry.recipient for entry in sim.ledger.entries(platform="fonedynamics", kind="sms"))
    assert len(sent) == RECIPIENTS and set(sent.values()) == {1}
    lost_answers = sum(report.faults.get(kind.value, 0) for kind in ANSWER_LOST)
    assert lost_answers > 0 and report.looked_up > 0
    # the list proves a batch the vendor took present (settled without a person); it never
    # proves one absent (it may lag), so a batch the vendor did not take waits for a person
    assert report.decisions["skip"] == 0
    assert report.decisions["resend"] > 0
    assert report.killed == 1
    # the lookups list messages: reads, which meet the faults too and are retried in the hook
    assert sim.requests.count("fonedynamics", "list_messages") > 0


def test_a_killed_try_leaves_its_record_and_the_retry_resumes_after_it(sim, tmp_path):
    report = run_sms_campaign(sim, "nxcloud", 1_000, tmp_path, kill_after=0.5, seed=7)

    assert_exactly_once(report)
    assert report.killed == 1
    # the held send (the kill's) reached the simulator, which never processed it
    held = [fault for fault in sim.faults.history() if fault.kind is FaultKind.LATENCY]
    assert len(held) == 1 and held[0].endpoint == SMS_PLATFORMS["nxcloud"].endpoint
    store = FileTaskStateStore(tmp_path / "nxcloud-sms" / "task_state_store.json")
    final = Progress.from_json(store.get(STORE_KEY))
    assert final.in_flight == [] and final.batches_done() == 10


def test_the_same_seed_gives_the_same_campaign(sim, tmp_path):
    first = run_sms_campaign(sim, "nxcloud", 2_000, tmp_path / "first", seed=11)
    again = run_sms_campaign(sim, "nxcloud", 2_000, tmp_path / "again", seed=11)
    other = run_sms_campaign(sim, "nxcloud", 2_000, tmp_path / "other", seed=12)

    def shape(report: Report) -> tuple:
        return (
            report.faults,
            report.task_retries,
            report.in_hook_retries,
            report.decisions,
            report.requests,
            report.lost,
            report.duplicated,
        )

    assert shape(first) == shape(again)
    assert first.faults != other.faults
    assert all(report.ok for report in (first, again, other))


def test_a_resend_whose_answer_is_lost_again_is_not_sent_a_third_time(sim, tmp_path):
    # request 2, batch 1's send: dropped unprocessed, so a person says "resend";
    # request 3, that resend: processed, its answer lost. A third send would duplicate batch 1.
    plan = FaultPlan(at={2: FaultKind.RESET_BEFORE, 3: FaultKind.RESET_AFTER})
    report = run_sms_campaign(sim, "buka", 2_500, tmp_path, kill_after=None, plan=plan)

    assert_exactly_once(report)
    assert report.decisions == Counter({"resend": 1, "skip": 1})
    assert sim.requests.count("buka", "sms_send") == 4  # batches 0, 1, 1 again, 2
    # tries: lost answer, the resend (lost again), the skip over batches 0-1, the rest
    assert report.task_retries == 3


@pytest.mark.parametrize("platform", sorted(SMS_PLATFORMS))
def test_a_gateway_503_after_the_vendor_took_a_batch_never_duplicates_it(sim, tmp_path, platform):
    # only the window under test: the first send is processed, then a gateway answers 503
    endpoint = SMS_PLATFORMS[platform].endpoint
    plan = FaultPlan(rules=(FaultRule(FaultKind.HTTP_503_AFTER, 1, platform, endpoint),))
    size = 3 * SMS_PLATFORMS[platform].batch_size
    report = run_sms_campaign(sim, platform, size, tmp_path, kill_after=None, plan=plan)

    assert_exactly_once(report)
    assert report.faults == {"http_503_after": 1}
    assert sim.requests.count(platform, endpoint) == 3  # the batch was never sent again
    # each such batch was taken by the vendor: a lookup or a person settled it, never a resend
    assert report.decisions["resend"] == 0
    assert report.decisions["skip"] + report.looked_up >= 1


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_create_whose_answer_is_lost_exists_exactly_once(sim, tmp_path, name):
    scenario = CREATES[name]
    report = run_creates(sim, name, TASK_INSTANCES, tmp_path)

    assert_exactly_once(report)
    created = Counter(
        entry.client_reference
        for entry in sim.ledger.entries(platform=scenario.platform, kind=scenario.ledger_kind)
    )
    assert len(created) == TASK_INSTANCES and set(created.values()) == {1}
    history = sim.faults.history()
    lost_creates = [f for f in history if f.endpoint == scenario.endpoint and f.kind is FaultKind.RESET_AFTER]
    assert len(lost_creates) >= TASK_INSTANCES  # every instance's first create lost its answer
    assert any(f.endpoint != scenario.endpoint for f in history)  # and the lookups met faults too


def test_the_file_store_survives_its_process(tmp_path: Path):
    run = DurableTaskRun(tmp_path, task_id="send")
    run.store.set(STORE_KEY, {"done": [[0, 4]], "in_flight": [5], "accepted": 50, "rejected": 0})
    again = FileTaskStateStore(run.store.path)
    assert again.get(STORE_KEY)["in_flight"] == [5]
    assert run.progress().batches_done() == 5
    again.delete(STORE_KEY)
    assert run.store.get(STORE_KEY, "gone") == "gone"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["task_state_store.json"]


def test_the_ledger_reads_one_page_of_a_window():
    # what a Fone Dynamics lookup reads, page by page, in a campaign of 100,000 messages
    from airflow_provider_nxcloud.testing.ledger import Ledger, LedgerEntry

    ledger = Ledger(now=lambda: 100.0)

    def add(vendor_id: str, when: float, app: str = "PN1") -> None:
        ledger.add(
            LedgerEntry(
                "fonedynamics", "sms", "AC1", "+6591000001", "hi", vendor_id, None, "x", when, "pending", app
            )
        )

    for second in range(10):
        add(f"m{second}", float(second))
    add("other-app", 5.0, app="PN2")
    ids = lambda page: [entry.vendor_id for entry in page[0]]  # noqa: E731
    assert ids(ledger.page("fonedynamics", "sms", "PN1", 2, 7, 1, 3)) == ["m3", "m4", "m5"]
    assert ledger.page("fonedynamics", "sms", "PN1", 2, 7, 1, 3)[1] == 6
    assert ledger.page("fonedynamics", "sms", "PN1", float("-inf"), float("inf"), 8, 5)[1] == 10
    add("late", 1.5)  # a time that goes back: the window is then found by a full pass
    assert ids(ledger.page("fonedynamics", "sms", "PN1", 1, 2, 0, 10)) == ["m1", "m2", "late"]
    assert ledger.page("fonedynamics", "sms", "PN3", 0, 10, 0, 10) == ([], 0)
