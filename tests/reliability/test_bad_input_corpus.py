"""The bad-input corpus: every kind of malformed input the provider refuses, in one place.

Each case runs a real operator or sensor (``execute``, as Airflow would) against the
simulator and proves two things: the error names the parameter at fault (the
``InvalidInputError`` behind the ``AirflowFailException``, and the task's error text
starts with it), and nothing reached the vendor (the simulator saw 0 requests).
Broken connections are Airflow connections set through ``AIRFLOW_CONN_<ID>``.

The second part: a wrong secret is refused by the vendor, and neither the error nor
the task log carries a secret or a signature the simulator received.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud import version_compat
from airflow_provider_nxcloud.campaign.delivery import delivery_options
from airflow_provider_nxcloud.exceptions import ConnectionConfigError, InvalidInputError, PermanentAPIError
from airflow_provider_nxcloud.operators.buka import (
    BukaSendEmailOperator,
    BukaSendSmsOperator,
    BukaSendVoiceOperator,
)
from airflow_provider_nxcloud.operators.buka_ai_voice import BukaCreateAiVoiceTaskOperator
from airflow_provider_nxcloud.operators.buka_voice_tasks import BukaCreateVoiceTaskOperator
from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator, NXCloudSendVoiceOperator
from airflow_provider_nxcloud.operators.nxcloud_chat import (
    NXCloudSendViberOperator,
    NXCloudSendWhatsAppOperator,
    NXCloudSendZaloOperator,
)
from airflow_provider_nxcloud.operators.nxcloud_number_check import NXCloudNumberCheckOperator
from airflow_provider_nxcloud.operators.nxcloud_pns import (
    NXCloudBindNumberOperator,
    NXCloudQueryBindingOperator,
)
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.sensors.buka_voice_tasks import BukaVoiceTaskSensor
from airflow_provider_nxcloud.sensors.delivery import (
    BukaEmailStatusSensor,
    BukaSmsDeliverySensor,
    NXCloudVoiceCallSensor,
)
from airflow_provider_nxcloud.sensors.nxcloud_number_check import NXCloudNumberCheckSensor
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.testing.buka import DEFAULT_EMAIL_SENDER
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.operators.conftest import TaskRun

SG = ["6591000001", "6591000002"]
MY = "60123456789"
HK = "85291234567"
VN = ["84910000001", "84910000002"]
AU = ["+61491570156", "+61491570157"]
AUDIO = "https://files.example.com/voice/reminder.mp3"
PNS_SG_X = accounts.NXCLOUD_PNS_VIRTUAL_NUMBERS[0]
#: text with a lone surrogate: not encodable as UTF-8, so no request body can carry it
LONE_SURROGATE = "hi \ud800"
#: nobody, root included, can create a directory in /proc
READ_ONLY_RESULTS = "/proc/airflow-provider-nxcloud/results.jsonl"


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)
    return nxcloud_simulator


def moment(days: float, *, tz: bool = True) -> str:
    """ISO text ``days`` from now; without ``tz`` a naive one (no offset)."""
    when = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    return (when if tz else when.replace(tzinfo=None)).isoformat(timespec="seconds")


# ----- what each case builds: the real operators and sensors, with good defaults ----------------------


@dataclass
class Env:
    """What a case may prepare: files and Airflow connections (through ``AIRFLOW_CONN_<ID>``)."""

    sim: Any
    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch

    def connection(self, conn_id: str, platform: str, **changes: Any) -> str:
        """The simulator's connection of ``platform`` under ``conn_id``, fields changed (None removes one)."""
        conn = json.loads(self.sim.connection_env()[accounts.CONNECTION_ENV_VARS[platform]])
        for name, value in changes.items():
            if value is None:
                conn.pop(name, None)
            else:
                conn[name] = value
        self.monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    def file(self, name: str, data: bytes) -> str:
        path = self.tmp_path / name
        path.write_bytes(data)
        return str(path)


def buka_sms(**kwargs: Any) -> BukaSendSmsOperator:
    return BukaSendSmsOperator(**{"task_id": "buka_sms", "text": "Sale at noon", "recipients": SG, **kwargs})


def nxcloud_sms(**kwargs: Any) -> NXCloudSendSmsOperator:
    return NXCloudSendSmsOperator(**{"task_id": "nx_sms", "text": "Sale at noon", "recipients": SG, **kwargs})


def fonedynamics_sms(**kwargs: Any) -> FoneDynamicsSendSmsOperator:
    return FoneDynamicsSendSmsOperator(
        **{"task_id": "fd_sms", "text": "Sale at noon", "recipients": AU, **kwargs}
    )


def buka_tts(**kwargs: Any) -> BukaSendVoiceOperator:
    kwargs = {"task_id": "buka_call", "text": "Your parcel arrives today", "language": "EN", **kwargs}
    return BukaSendVoiceOperator(**{"recipients": SG, **kwargs})


def nxcloud_voice(**kwargs: Any) -> NXCloudSendVoiceOperator:
    kwargs = {
        "task_id": "nx_call",
        "text": "Your appointment is at ten",
        "language": "en",
        "display_number": "6561234567",
        **kwargs,
    }
    return NXCloudSendVoiceOperator(**{"recipients": SG, **kwargs})


def nxcloud_broadcast(**kwargs: Any) -> NXCloudSendVoiceOperator:
    kwargs = {
        "task_id": "nx_broadcast",
        "mode": "broadcast",
        "audio_url": AUDIO,
        "display_number": "6561234567",
        **kwargs,
    }
    return NXCloudSendVoiceOperator(**{"recipients": SG, **kwargs})


def buka_email(**kwargs: Any) -> BukaSendEmailOperator:
    defaults = {
        "task_id": "mail",
        "recipients": ["ann@example.com"],
        "subject": "Your invoice",
        "template_id": 1001,
        "from_address": DEFAULT_EMAIL_SENDER,
        "template_data": {"name": "Ann"},
    }
    return BukaSendEmailOperator(**{**defaults, **kwargs})


def whatsapp(**kwargs: Any) -> NXCloudSendWhatsAppOperator:
    defaults = {"task_id": "wa", "recipients": SG, "business_phone": accounts.NXCLOUD_WHATSAPP_BUSINESS_PHONE}
    if not {"text", "template", "media"} & set(kwargs):
        defaults["text"] = "Your order shipped"
    return NXCloudSendWhatsAppOperator(**{**defaults, **kwargs})


def zalo(**kwargs: Any) -> NXCloudSendZaloOperator:
    defaults = {"task_id": "zns", "recipients": VN, "template_id": "231235", "template_data": {"name": "Lan"}}
    return NXCloudSendZaloOperator(**{**defaults, **kwargs})


def voice_task(**kwargs: Any) -> BukaCreateVoiceTaskOperator:
    defaults = {
        "task_id": "voice_task",
        "numbers": SG,
        "task_name": "renewal",
        "text": "Hello",
        "language": "EN",
    }
    return BukaCreateVoiceTaskOperator(**{**defaults, **kwargs})


def ai_task(**kwargs: Any) -> BukaCreateAiVoiceTaskOperator:
    defaults = {
        "task_id": "ai_task",
        "name": "renewals",
        "dialog_flow_id": 7,
        "robot_count": 2,
        "line_id": 3,
        "customers": ["6590000001"],
    }
    return BukaCreateAiVoiceTaskOperator(**{**defaults, **kwargs})


def number_check(**kwargs: Any) -> NXCloudNumberCheckOperator:
    return NXCloudNumberCheckOperator(**{"task_id": "check", "numbers": SG, **kwargs})


def bind(**kwargs: Any) -> NXCloudBindNumberOperator:
    defaults = {"task_id": "bind", "phone_a": "6591000001", "phone_b": "6591000002", "expire_seconds": 3600}
    return NXCloudBindNumberOperator(**{**defaults, **kwargs})


def sensing(cls: type, **kwargs: Any) -> Any:
    """A sensor in poke mode that would give up quickly, were a case ever to wait."""
    return cls(**{"task_id": "wait", "poke_interval": 0.01, "timeout": 5, **kwargs})


# ----- the corpus --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One malformed input: the task it makes and the parameter its error must name."""

    id: str
    parameter: str
    task: Callable[[Env], Any]


def without_extra(env: Env, name: str) -> dict[str, Any]:
    """The simulator's NXCloud connection extra without ``name``."""
    conn = json.loads(env.sim.connection_env()[accounts.CONNECTION_ENV_VARS["nxcloud"]])
    return {key: value for key, value in conn["extra"].items() if key != name}


def conn_field(conn_id: str, field: str) -> str:
    """The parameter a connection error names (see ConnectionConfigError)."""
    return f"connection {conn_id!r} field {field!r}"


CORPUS: list[Bad] = [
    # --- numbers that are not numbers
    Bad("buka-sms/number-too-short", "recipients", lambda e: buka_sms(recipients=[*SG, "12345"])),
    Bad("nxcloud-sms/word-in-the-list", "recipients", lambda e: nxcloud_sms(recipients="6591000001,hello")),
    Bad("nxcloud-voice/no-recipients", "recipients", lambda e: nxcloud_voice(recipients=[])),
    Bad("number-check/invalid-number", "numbers", lambda e: number_check(numbers=[*SG, "999"])),
    Bad("voice-task/invalid-number", "numbers", lambda e: voice_task(numbers=["6591000001", "6512"])),
    Bad("ai-task/invalid-customer-number", "customers", lambda e: ai_task(customers=["6590000001", "12"])),
    Bad("pns-bind/phone-a-without-country-code", "phone_a", lambda e: bind(phone_a="91000001")),
    # --- mixed countries where one country is required
    Bad(
        "fonedynamics-sms/sg-number-with-allowed-regions-au",
        "recipients",
        lambda e: fonedynamics_sms(recipients=[*AU, "+6591000001"], allowed_regions=["AU"]),
    ),
    Bad(
        "nxcloud-voice/my-number-with-allowed-regions-sg",
        "recipients",
        lambda e: nxcloud_voice(recipients=[*SG, MY], allowed_regions=["SG"]),
    ),
    Bad(
        "voice-task/my-number-with-allowed-regions-sg",
        "numbers",
        lambda e: voice_task(numbers=[*SG, MY], allowed_regions=["SG"]),
    ),
    Bad(
        "buka-sms/allowed-regions-not-a-code",
        "allowed_regions",
        lambda e: buka_sms(allowed_regions=["Singapore"]),
    ),
    Bad("zalo/singapore-number", "recipients", lambda e: zalo(recipients=[*VN, "6591000001"])),
    Bad("zalo/allowed-regions-widened", "allowed_regions", lambda e: zalo(allowed_regions=["VN", "SG"])),
    Bad("pns-bind/phone-b-in-another-country", "phone_b", lambda e: bind(phone_b=HK)),
    # --- empty content
    Bad("buka-sms/empty-text", "text", lambda e: buka_sms(text="")),
    Bad("nxcloud-sms/blank-text", "text", lambda e: nxcloud_sms(text="   ")),
    Bad("fonedynamics-sms/empty-text", "text", lambda e: fonedynamics_sms(text="")),
    Bad("buka-voice/empty-tts-text", "text", lambda e: buka_tts(text="")),
    Bad("nxcloud-voice/no-text", "text", lambda e: nxcloud_voice(text=None)),
    Bad("whatsapp/empty-text", "text", lambda e: whatsapp(text="")),
    Bad("buka-email/blank-subject", "subject", lambda e: buka_email(subject="   ")),
    Bad(
        "voice-task/no-audio-source",
        "voice_file_id | audio_file | text",
        lambda e: voice_task(text=None, language=None),
    ),
    # --- over-long content
    Bad("buka-sms/text-over-1024", "text", lambda e: buka_sms(text="x" * (buka.SMS_MAX_CONTENT + 1))),
    Bad("nxcloud-sms/text-over-1000", "text", lambda e: nxcloud_sms(text="x" * 1001)),
    Bad(
        "buka-voice/tts-text-over-1000", "text", lambda e: buka_tts(text="x" * (buka.VOICE_MAX_TTS_TEXT + 1))
    ),
    Bad(
        "voice-task/tts-text-over-1000",
        "text",
        lambda e: voice_task(text="x" * (buka.VOICE_TASK_MAX_TEXT + 1)),
    ),
    Bad(
        "buka-email/subject-over-100",
        "subject",
        lambda e: buka_email(subject="x" * (buka.EMAIL_MAX_SUBJECT + 1)),
    ),
    Bad("whatsapp/text-over-4096", "text", lambda e: whatsapp(text="x" * 4097)),
    # --- sender ids out of range
    Bad(
        "buka-sms/sender-id-over-32",
        "sender_id",
        lambda e: buka_sms(sender_id="S" * (buka.SMS_MAX_SENDER_ID + 1)),
    ),
    Bad("nxcloud-sms/sender-id-over-20", "sender_id", lambda e: nxcloud_sms(sender_id="S" * 21)),
    Bad("nxcloud-sms/sender-id-with-a-dash", "sender_id", lambda e: nxcloud_sms(sender_id="Shop-1")),
    Bad(
        "fonedynamics-sms/sender-id-over-11",
        "sender_id",
        lambda e: fonedynamics_sms(sender_id="TooLongSender"),
    ),
    Bad("fonedynamics-sms/sender-id-digits-only", "sender_id", lambda e: fonedynamics_sms(sender_id="12345")),
    Bad(
        "buka-voice/display-number-with-plus",
        "display_number",
        lambda e: buka_tts(display_number="+6561234567"),
    ),
    Bad(
        "nxcloud-voice/display-number-over-50",
        "display_number",
        lambda e: nxcloud_voice(display_number="1" * 51),
    ),
    # show_phone is required by notsend, versend and gpsend, with no documented default
    Bad("nxcloud-voice/no-display-number", "display_number", lambda e: nxcloud_voice(display_number=None)),
    # --- more than a request that cannot be split takes
    Bad(
        "voice-task/over-200000-numbers",
        "numbers",
        lambda e: voice_task(numbers=[f"65{90_000_000 + i}" for i in range(buka.VOICE_TASK_MAX_NUMBERS + 1)]),
    ),
    Bad("ai-task/customer-without-number", "customers", lambda e: ai_task(customers=[{"name": "no number"}])),
    Bad(
        "ai-task/customer-with-unknown-field",
        "customers",
        lambda e: ai_task(customers=[{"phone_number": "6590000001", "email": "x@example.com"}]),
    ),
    Bad("number-check/unknown-level", "level", lambda e: number_check(level="medium")),
    # --- scheduled times in the past or without a timezone
    Bad("voice-task/send-time-in-the-past", "send_time", lambda e: voice_task(send_time=moment(-1))),
    Bad(
        "voice-task/send-time-without-timezone",
        "send_time",
        lambda e: voice_task(send_time=moment(1, tz=False)),
    ),
    Bad(
        "ai-task/start-time-without-timezone",
        "start_time",
        lambda e: ai_task(mode="AUTO", start_time=moment(1, tz=False)),
    ),
    Bad(
        "ai-task/start-time-in-the-past", "start_time", lambda e: ai_task(mode="AUTO", start_time=moment(-1))
    ),
    Bad(
        "nxcloud-broadcast/schedule-time-in-the-past",
        "schedule_time",
        lambda e: nxcloud_broadcast(schedule_time=moment(-1)),
    ),
    Bad(
        "nxcloud-broadcast/schedule-time-without-timezone",
        "schedule_time",
        lambda e: nxcloud_broadcast(schedule_time=moment(1, tz=False)),
    ),
    Bad(
        "fonedynamics-sms/schedule-time-without-timezone",
        "schedule_time",
        lambda e: fonedynamics_sms(schedule_time=moment(1, tz=False)),
    ),
    # --- AI calling hours outside Buka's 09:00-20:00
    Bad("ai-task/daily-window-from-08", "daily_window", lambda e: ai_task(daily_window=("08:00", "19:00"))),
    Bad("ai-task/daily-window-to-21", "daily_window", lambda e: ai_task(daily_window=("09:00", "21:00"))),
    # --- broken connections
    Bad(
        "connection/extra-is-broken-json",
        conn_field("broken_extra", "extra"),
        lambda e: buka_sms(buka_conn_id=e.connection("broken_extra", "buka", extra='{"app_id": "x",')),
    ),
    Bad(
        "connection/extra-not-an-object",
        conn_field("list_extra", "extra"),
        lambda e: sensing(
            BukaVoiceTaskSensor,
            voice_task_id="17",
            buka_conn_id=e.connection("list_extra", "buka", extra="[1]"),
        ),
    ),
    Bad(
        "connection/no-login",
        conn_field("no_login", "login"),
        lambda e: nxcloud_sms(nxcloud_conn_id=e.connection("no_login", "nxcloud", login=None)),
    ),
    Bad(
        "connection/no-password",
        conn_field("no_password", "password"),
        lambda e: fonedynamics_sms(
            fonedynamics_conn_id=e.connection("no_password", "fonedynamics", password="")
        ),
    ),
    Bad(
        "connection/http-to-a-remote-host",
        conn_field("plain_http", "host"),
        lambda e: number_check(
            nxcloud_conn_id=e.connection("plain_http", "nxcloud", host="http://api.example.com")
        ),
    ),
    Bad(
        "connection/read-timeout-zero",
        conn_field("no_timeout", "read_timeout"),
        lambda e: sensing(
            BukaSmsDeliverySensor,
            message_ids=["m1"],
            buka_conn_id=e.connection("no_timeout", "buka", extra={"read_timeout": 0}),
        ),
    ),
    # --- recipient files that cannot be read
    Bad(
        "buka-sms/recipient-file-missing",
        "recipients",
        lambda e: buka_sms(recipients=str(e.tmp_path / "none.csv")),
    ),
    Bad(
        "nxcloud-sms/recipient-file-not-utf8",
        "recipients",
        lambda e: nxcloud_sms(recipients=e.file("latin1.csv", "6591000001,Zoë\n".encode("latin-1"))),
    ),
    Bad(
        "number-check/numbers-file-is-a-directory", "numbers", lambda e: number_check(numbers=str(e.tmp_path))
    ),
    # --- template values that render to nothing
    Bad("buka-email/template-value-empty", "template_data", lambda e: buka_email(template_data={"name": ""})),
    Bad(
        "buka-email/template-value-none", "template_data", lambda e: buka_email(template_data={"name": None})
    ),
    Bad("zalo/template-value-blank", "template_data", lambda e: zalo(template_data={"name": "  "})),
    Bad(
        "whatsapp/template-parameter-blank",
        "template",
        lambda e: whatsapp(
            template={
                "name": "order_update",
                "language": "en_US",
                "components": [{"type": "body", "parameters": [{"type": "text", "text": " "}]}],
            }
        ),
    ),
    # --- privacy numbers
    Bad("pns-bind/unknown-mode", "mode", lambda e: bind(mode="AXC")),
    Bad("pns-bind/a-equals-b", "phone_b", lambda e: bind(phone_b="+65 9100 0001")),
    Bad(
        "pns-bind/extension-of-two-digits",
        "extension",
        lambda e: bind(mode="AXB_EXTENSION", phone_x=PNS_SG_X, extension="12"),
    ),
    Bad(
        "pns-query/extension-of-four-digits",
        "extension",
        lambda e: NXCloudQueryBindingOperator(
            task_id="q", caller="6591000001", did=PNS_SG_X, extension="1234"
        ),
    ),
    # --- sensors: exactly one message source
    Bad("email-sensor/no-message-source", "message_ids", lambda e: sensing(BukaEmailStatusSensor)),
    Bad(
        "sms-sensor/two-message-sources",
        "message_ids",
        lambda e: sensing(
            BukaSmsDeliverySensor, message_ids=["m1"], results_path=str(e.tmp_path / "r.jsonl")
        ),
    ),
    Bad(
        "call-sensor/send-task-and-ids",
        "message_ids",
        lambda e: sensing(NXCloudVoiceCallSensor, message_ids=["m1"], send_task_id="call"),
    ),
    Bad(
        "number-check-sensor/no-batches",
        "batches",
        lambda e: sensing(NXCloudNumberCheckSensor, results_path=str(e.tmp_path / "checked.jsonl")),
    ),
    Bad(
        "voice-task-sensor/empty-task-id",
        "voice_task_id",
        lambda e: sensing(BukaVoiceTaskSensor, voice_task_id=""),
    ),
    # --- a results file that could not be written: found before the first batch, not after it
    Bad(
        "buka-sms/results-path-in-a-read-only-place",
        "results_path",
        lambda e: buka_sms(results_path=READ_ONLY_RESULTS),
    ),
    Bad(
        "nxcloud-sms/results-path-under-a-file",
        "results_path",
        lambda e: nxcloud_sms(results_path=str(Path(e.file("plain.txt", b"x")) / "results.jsonl")),
    ),
    Bad(
        "fonedynamics-sms/results-path-is-a-directory",
        "results_path",
        lambda e: fonedynamics_sms(results_path=str(e.tmp_path)),
    ),
    Bad(
        "nxcloud-voice/results-path-in-a-read-only-place",
        "results_path",
        lambda e: nxcloud_voice(results_path=READ_ONLY_RESULTS, wait_for_delivery=True),
    ),
    # --- delivery waits that could not work, found before sending
    Bad(
        "buka-sms/min-delivered-ratio-2",
        "min_delivered_ratio",
        lambda e: buka_sms(wait_for_delivery=True, min_delivered_ratio=2),
    ),
    Bad(
        "buka-email/min-delivered-ratio-nan",
        "min_delivered_ratio",
        lambda e: buka_email(wait_for_delivery=True, min_delivered_ratio=float("nan")),
    ),
    Bad(
        "fonedynamics-sms/negative-delivery-timeout",
        "delivery_timeout",
        lambda e: fonedynamics_sms(wait_for_delivery=True, delivery_timeout=-1),
    ),
    Bad(
        "buka-sms/delivery-timeout-infinite",
        "delivery_timeout",
        lambda e: buka_sms(wait_for_delivery=True, delivery_timeout=float("inf")),
    ),
    Bad(
        "buka-voice/delivery-timeout-text-inf",
        "delivery_timeout",
        lambda e: buka_tts(wait_for_delivery=True, delivery_timeout="inf"),
    ),
    Bad(
        "buka-sms/delivery-timeout-nan",
        "delivery_timeout",
        lambda e: buka_sms(wait_for_delivery=True, delivery_timeout=float("nan")),
    ),
    Bad(
        "buka-sms/delivery-timeout-past-the-calendar",
        "delivery_timeout",
        lambda e: buka_sms(wait_for_delivery=True, delivery_timeout=1e15),
    ),
    Bad(
        "buka-sms/delivery-poll-interval-zero",
        "delivery_poll_interval",
        lambda e: buka_sms(wait_for_delivery=True, delivery_poll_interval=0),
    ),
    Bad(
        "nxcloud-voice/delivery-poll-interval-infinite",
        "delivery_poll_interval",
        lambda e: nxcloud_voice(
            wait_for_delivery=True,
            results_path=str(e.tmp_path / "calls.jsonl"),
            delivery_poll_interval=math.inf,
        ),
    ),
    Bad(
        "voice-task/wait-timeout-infinite",
        "timeout",
        lambda e: voice_task(wait_for_completion=True, timeout=math.inf),
    ),
    Bad(
        "ai-task/negative-wait-timeout",
        "wait_timeout",
        lambda e: ai_task(start=True, wait_for_completion=True, wait_timeout=-5),
    ),
    Bad(
        "ai-task/poll-interval-nan",
        "poll_interval",
        lambda e: ai_task(start=True, wait_for_completion=True, poll_interval=math.nan),
    ),
    # the NXCloud SMS report query is signed with the SMS app's key and secret
    Bad(
        "nxcloud-sms/delivery-wait-without-sms-app-secret",
        conn_field("no_sms_secret", "sms_app_secret"),
        lambda e: nxcloud_sms(
            wait_for_delivery=True,
            results_path=str(e.tmp_path / "sms.jsonl"),
            nxcloud_conn_id=e.connection(
                "no_sms_secret", "nxcloud", extra=without_extra(e, "sms_app_secret")
            ),
        ),
    ),
    # --- text no request body can carry (a lone surrogate)
    Bad("buka-sms/lone-surrogate", "text", lambda e: buka_sms(text=LONE_SURROGATE)),
    Bad("nxcloud-sms/lone-surrogate", "text", lambda e: nxcloud_sms(text=LONE_SURROGATE)),
    Bad("fonedynamics-sms/lone-surrogate", "text", lambda e: fonedynamics_sms(text=LONE_SURROGATE)),
    Bad("buka-voice/lone-surrogate", "text", lambda e: buka_tts(text=LONE_SURROGATE)),
    Bad("nxcloud-voice/lone-surrogate", "text", lambda e: nxcloud_voice(text=LONE_SURROGATE)),
    Bad("buka-email/lone-surrogate-in-subject", "subject", lambda e: buka_email(subject=LONE_SURROGATE)),
    Bad(
        "buka-email/lone-surrogate-in-template-data",
        "template_data",
        lambda e: buka_email(template_data={"name": LONE_SURROGATE}),
    ),
    Bad(
        "buka-sms/lone-surrogate-in-a-personal-text",
        "recipients",
        lambda e: buka_sms(text=None, recipients=[{"number": SG[0], "text": LONE_SURROGATE}]),
    ),
    Bad("whatsapp/lone-surrogate", "text", lambda e: whatsapp(text=LONE_SURROGATE)),
    Bad(
        "viber/lone-surrogate",
        "text",
        lambda e: NXCloudSendViberOperator(
            task_id="viber",
            recipients=SG,
            function_type="text",
            rate_type="Transactional",
            text=LONE_SURROGATE,
        ),
    ),
    Bad("zalo/lone-surrogate", "template_data", lambda e: zalo(template_data={"name": LONE_SURROGATE})),
    Bad("voice-task/lone-surrogate", "text", lambda e: voice_task(text=LONE_SURROGATE)),
    Bad(
        "ai-task/lone-surrogate-in-a-customer",
        "customers",
        lambda e: ai_task(customers=[{"phone_number": "6590000001", "name": LONE_SURROGATE}]),
    ),
]


def test_the_corpus_is_large_and_its_ids_are_unique():
    assert len(CORPUS) >= 40
    assert len({case.id for case in CORPUS}) == len(CORPUS)


def refusal(exc: BaseException) -> InvalidInputError:
    """The InvalidInputError behind what the task raised (operators wrap it in AirflowFailException)."""
    if isinstance(exc, InvalidInputError):
        return exc
    assert isinstance(exc, AirflowFailException), f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    assert isinstance(cause, InvalidInputError), f"{exc} (caused by {cause!r})"
    return cause


def credentials(sim: Any) -> set[str]:
    nx, bk, fd = sim.accounts.nxcloud, sim.accounts.buka, sim.accounts.fonedynamics
    return {nx.access_secret, nx.sms_app_secret, nx.voice_app_secret, bk.api_secret, fd.token}


def version_marks(case: Bad) -> list[Any]:
    # Airflow 3.1's own connection model refuses an extra that is not a JSON object, before any hook
    # sees it (what happens then: tests/hooks/test_connections.py)
    if case.id.startswith("connection/extra-") and not version_compat.AIRFLOW_V_3_2_PLUS:
        return [pytest.mark.skip(reason="Airflow < 3.2 refuses the connection itself, naming no field")]
    return []


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id, marks=version_marks(case)) for case in CORPUS]
)
def test_bad_input_names_the_parameter_and_sends_nothing(sim, tmp_path, monkeypatch, case):
    task = case.task(Env(sim, tmp_path, monkeypatch))
    with pytest.raises((AirflowFailException, InvalidInputError)) as failed:
        task.execute(TaskRun(dag_id="corpus", task_id=task.task_id).context())
    error = refusal(failed.value)
    assert error.parameter == case.parameter, str(failed.value)
    assert str(failed.value).startswith(f"{case.parameter}: "), str(failed.value)
    assert error.problem.strip()  # says what is wrong, not just where
    assert not any(secret in str(failed.value) for secret in credentials(sim))
    assert sim.requests.total() == 0


def test_a_connection_error_says_which_connection_and_field(sim, tmp_path, monkeypatch):
    """The connection cases' errors are ConnectionConfigError: the conn id and field are attributes too."""
    env = Env(sim, tmp_path, monkeypatch)
    op = nxcloud_sms(nxcloud_conn_id=env.connection("no_login", "nxcloud", login="  "))
    with pytest.raises(AirflowFailException) as failed:
        op.execute(TaskRun().context())
    error = failed.value.__cause__
    assert isinstance(error, ConnectionConfigError)
    assert (error.conn_id, error.field) == ("no_login", "login")
    assert sim.requests.total() == 0


# ----- wrong secrets: refused by the vendor, and no secret or signature in the error or the log --------

WRONG_SECRET = "wrong-secret-4f9c2e71"


def wrong_secret_task(env: Env, platform: str) -> Any:
    if platform == "nxcloud":
        return nxcloud_sms(nxcloud_conn_id=env.connection("wrong_nx", "nxcloud", password=WRONG_SECRET))
    if platform == "nxcloud-legacy":
        conn = json.loads(env.sim.connection_env()[accounts.CONNECTION_ENV_VARS["nxcloud"]])
        extra = {**conn["extra"], "sms_app_secret": WRONG_SECRET}
        return nxcloud_sms(
            api="legacy", nxcloud_conn_id=env.connection("wrong_legacy", "nxcloud", extra=extra)
        )
    if platform == "buka":
        return buka_sms(buka_conn_id=env.connection("wrong_buka", "buka", password=WRONG_SECRET))
    return fonedynamics_sms(
        fonedynamics_conn_id=env.connection("wrong_fd", "fonedynamics", password=WRONG_SECRET)
    )


@pytest.mark.parametrize("platform", ["nxcloud", "nxcloud-legacy", "buka", "fonedynamics"])
def test_a_wrong_secret_fails_without_leaking_it_or_the_signature(
    sim, tmp_path, monkeypatch, caplog, platform
):
    caplog.set_level(logging.DEBUG)
    task = wrong_secret_task(Env(sim, tmp_path, monkeypatch), platform)
    with pytest.raises(AirflowFailException) as failed:
        task.execute(TaskRun(dag_id="corpus", task_id=task.task_id).context())

    assert isinstance(failed.value.__cause__, PermanentAPIError)  # auth: no retry burned
    assert sim.requests.total() >= 1 and sim.ledger.count() == 0
    received = sim.requests.auth_values()
    # the signed platforms' requests carried a signature (the legacy API sends its secret in the body)
    assert received or platform == "nxcloud-legacy"
    forbidden = {WRONG_SECRET, *credentials(sim), *received}
    error_text = "\n".join(str(e) for e in (failed.value, failed.value.__cause__))
    log_text = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    assert caplog.records  # the task logged, and the log was checked
    for where, text in (("the error", error_text), ("the task log", log_text)):
        leaked = [secret[:4] + "..." for secret in forbidden if secret in text]
        assert not leaked, f"secrets or signatures in {where}: {leaked}"


@pytest.mark.parametrize("platform", ["nxcloud", "buka", "fonedynamics"])
async def test_a_trigger_refused_for_a_wrong_secret_leaks_nothing(sim, tmp_path, monkeypatch, platform):
    """The triggerer's path (async transport): the error event carries no secret and no signature."""
    env = Env(sim, tmp_path, monkeypatch)
    if platform == "nxcloud":  # the SMS report query is a legacy call: the SMS app's secret signs it
        conn = json.loads(sim.connection_env()[accounts.CONNECTION_ENV_VARS["nxcloud"]])
        conn_id = env.connection("wrong", platform, extra={**conn["extra"], "sms_app_secret": WRONG_SECRET})
    else:
        conn_id = env.connection("wrong", platform, password=WRONG_SECRET)
    trigger = WaitTrigger(
        platform=platform,
        watch="delivery",
        options=delivery_options(platform, message_ids=[{"message_id": "m1", "number": "6591000001"}]),
        conn_id=conn_id,
        end_time=time.time() + 60,
    )

    [event] = [event async for event in trigger.run()]

    assert event.payload["status"] == "error" and event.payload["retryable"] is False
    assert sim.requests.total() >= 1
    text = json.dumps(event.payload)
    leaked = [
        s[:4] + "..." for s in {WRONG_SECRET, *credentials(sim), *sim.requests.auth_values()} if s in text
    ]
    assert not leaked, f"secrets or signatures in the trigger's event: {leaked}"
