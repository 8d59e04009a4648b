"""Sending through the simulator, and task contexts, for the delivery sensor and trigger tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.testing import accounts
from tests.operators.conftest import FakeTaskStateStore

#: endpoints that send, per platform (the delivery code must never call them)
SEND_ENDPOINTS = {
    ("buka", "sms_send"),
    ("buka", "sms_send_batch"),
    ("nxcloud", "sms_send_v2"),
    ("nxcloud", "sms_send_v1"),
    ("nxcloud", "sms_send_legacy"),
    ("fonedynamics", "send_message"),
    ("fonedynamics", "send_batch"),
    ("buka", "voice_send_code"),
    ("buka", "voice_send_group"),
    ("buka", "email_send"),
    ("nxcloud", "voice_notify"),
    ("nxcloud", "voice_verify"),
    ("nxcloud", "voice_broadcast"),
}


_RUNS = itertools.count(1)


@dataclass
class XComTI:
    """A task instance with what the send operator reads and what the sensor pulls."""

    xcoms: dict[str, Any] = field(default_factory=dict)
    dag_id: str = "delivery_dag"
    #: each context is a task instance of its own (a DAG run of its own): two sends in one test
    #: are two campaigns, not a finished one cleared and run again
    run_id: str = field(default_factory=lambda: f"manual__2026-11-23T00:00:00+00:00_{next(_RUNS)}")
    task_id: str = "send"
    map_index: int = -1
    try_number: int = 1

    #: what the task pushed, by key (a send task's campaign record)
    pushed: dict[str, Any] = field(default_factory=dict)

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value", **_: Any) -> Any:
        return self.xcoms.get(task_ids or "")

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def context(**xcoms: Any) -> dict[str, Any]:
    return {"ti": XComTI(dict(xcoms)), "task_state_store": FakeTaskStateStore()}


def sg_numbers(count: int, start: int = 1) -> list[str]:
    """Distinct valid Singapore mobile numbers; none ends in 0000 unless asked for."""
    return [f"65{9 * 10_000_000 + i}" for i in range(start, start + count)]


UNDELIVERABLE_SG = "6591230000"  # ends in 0000: the simulator fails its delivery


def send_buka(numbers: list[str], results_path: Any = None) -> dict[str, Any]:
    """Send with the real operator; returns its XCom summary."""
    op = BukaSendSmsOperator(
        task_id="send",
        text="Your parcel is on its way",
        recipients=numbers,
        results_path=str(results_path) if results_path else None,
    )
    return op.execute(context())


def send_nxcloud(numbers: list[str]) -> list[str]:
    """One signed mtsend_v2 per number (so each message id names one number)."""
    hook = NXCloudHook()
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "content": "Your parcel is on its way"}
    return [str(hook.call("sms_send_v2", {**body, "phone": n})["messageid"]) for n in numbers]


def send_fonedynamics(numbers: list[str], *, receipt: bool = True) -> list[str]:
    hook = FoneDynamicsHook()
    sids = []
    for number in numbers:
        message = hook.send_message(f"+{number}", "Your parcel is on its way", delivery_receipt=receipt)
        sids.append(str(message["MessageSid"]))
    return sids


def send(platform: str, numbers: list[str]) -> list[str]:
    """Message ids of one message per number, on any platform."""
    if platform == "buka":
        return list(send_buka(numbers)["vendor_ids"])
    if platform == "nxcloud":
        return send_nxcloud(numbers)
    return send_fonedynamics(numbers)


def send_requests(sim: Any) -> int:
    return sum(n for key, n in sim.requests.by_endpoint().items() if key in SEND_ENDPOINTS)


def send_campaign(platform: str, numbers: list[str], results_path: Any) -> dict[str, Any]:
    """Send with the platform's real campaign operator, writing results_path; returns its XCom summary."""
    from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
    from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator

    operators = {
        "buka": BukaSendSmsOperator,
        "nxcloud": NXCloudSendSmsOperator,
        "fonedynamics": FoneDynamicsSendSmsOperator,
    }
    recipients = [f"+{n}" for n in numbers] if platform == "fonedynamics" else numbers
    op = operators[platform](
        task_id="send",
        text="Your parcel is on its way",
        recipients=recipients,
        results_path=str(results_path),
    )
    return op.execute(context())


# ----- calls and email ------------------------------------------------------------------------

UNDELIVERABLE_EMAIL = "nobody@mail.invalid"  # the simulator fails domains ending in .invalid


def send_buka_calls(numbers: list[str], results_path: Any = None) -> dict[str, Any]:
    """TTS calls with the real operator (one voiceId per number); returns its XCom summary."""
    from airflow_provider_nxcloud.operators.buka import BukaSendVoiceOperator

    op = BukaSendVoiceOperator(
        task_id="send",
        recipients=numbers,
        text="Your parcel is here",
        language="EN",
        results_path=str(results_path) if results_path else None,
    )
    return op.execute(context())


def send_buka_emails(addresses: list[str], results_path: Any = None) -> dict[str, Any]:
    from airflow_provider_nxcloud.operators.buka import BukaSendEmailOperator
    from airflow_provider_nxcloud.testing.buka import DEFAULT_EMAIL_SENDER

    op = BukaSendEmailOperator(
        task_id="send",
        recipients=addresses,
        subject="Your parcel",
        template_id=1001,
        from_address=DEFAULT_EMAIL_SENDER,
        results_path=str(results_path) if results_path else None,
    )
    return op.execute(context())


def send_nxcloud_calls(numbers: list[str], results_path: Any, **kwargs: Any) -> dict[str, Any]:
    """Voice notifications with the real operator, writing results_path; returns its XCom summary."""
    from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendVoiceOperator

    kwargs.setdefault("text", "Your parcel is here")
    kwargs.setdefault("language", "en")
    kwargs.setdefault("display_number", "6561234567")  # show_phone: required by every voice API
    op = NXCloudSendVoiceOperator(
        task_id="send", recipients=numbers, results_path=str(results_path), **kwargs
    )
    return op.execute(context())


def emails(count: int) -> list[str]:
    return [f"customer{i}@example.com" for i in range(1, count + 1)]
