"""One grammar for disposition overrides: every hook, operator, sensor and trigger takes the same
forms and refuses the same bad ones, naming ``disposition_overrides``; the retry policy (3.3+) too,
with ``retry`` and ``fail`` only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_nxcloud import version_compat
from airflow_provider_nxcloud.campaign.delivery import delivery_options
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.operators.buka_voice_tasks import BukaResendVoiceTaskOperator
from airflow_provider_nxcloud.operators.nxcloud_pns import NXCloudUnbindNumberOperator
from airflow_provider_nxcloud.overrides import override_for, parse_overrides, plain_overrides
from airflow_provider_nxcloud.platforms.codes import Disposition
from airflow_provider_nxcloud.sensors.buka_voice_tasks import BukaVoiceTaskSensor
from airflow_provider_nxcloud.sensors.delivery import BukaSmsDeliverySensor, NXCloudVoiceCallSensor
from airflow_provider_nxcloud.triggers.wait import WaitTrigger

RETRY, RESIGN, FAIL = Disposition.RETRY, Disposition.RESIGN, Disposition.FAIL

#: (what a DAG may write, what it means)
ACCEPTED = [
    ({-26: "retry"}, {"-26": RETRY}),
    (
        {"-26": "fail", "sms:-26": "retry", "buka:sms:-26": "fail"},
        {"-26": FAIL, "sms:-26": RETRY, "buka:sms:-26": FAIL},
    ),
    ({" sms : -26 ": Disposition.RETRY}, {"sms:-26": RETRY}),
    (
        {"nxcloud:sms_report:5": "retry", "voice:-37": "fail"},
        {"nxcloud:sms_report:5": RETRY, "voice:-37": FAIL},
    ),
    ({"503": "resign"}, {"503": RESIGN}),
    ({}, {}),
    (None, {}),
]

#: (what a DAG may write by mistake, what the error says)
REFUSED = [
    ({"-15": "maybe"}, "value for '-15' must be retry, resign or fail, not 'maybe'"),
    ({"-15": "RETRY"}, "must be retry, resign or fail"),
    ({"-15": None}, "must be retry, resign or fail"),
    ({"smss:-18": "fail"}, "no platform has a service 'smss'"),
    ({"buka:smss:-18": "fail"}, "no code catalog for buka/smss"),
    ({"nxcloud:ai_voice:-18": "fail"}, "no code catalog for nxcloud/ai_voice"),
    ({"a:b:c:d": "fail"}, "must be 'platform:service:code', 'service:code' or 'code'"),
    ({"sms:": "fail"}, "must be 'platform:service:code'"),
    ({":-18": "fail"}, "must be 'platform:service:code'"),
    ({"": "fail"}, "must be 'platform:service:code'"),
    ({True: "fail"}, "key True must be text or a whole number"),
    ({1.5: "fail"}, "key 1.5 must be text or a whole number"),
    (["-15"], "must be a dict of code to disposition"),
]


# ----- everything that takes disposition_overrides ----------------------------------------------


def _operator_hook(operator_class: type, **kwargs: Any) -> Callable[[Any], Any]:
    return lambda raw: operator_class(task_id="t", disposition_overrides=raw, **kwargs).hook


#: each builds what parses the overrides when a task runs: the hook (operators and sensors
#: get theirs through PlatformHookMixin, a trigger builds one from its plain kwargs)
CONSUMERS: dict[str, Callable[[Any], Any]] = {
    "BukaHook": lambda raw: BukaHook(disposition_overrides=raw),
    "NXCloudHook": lambda raw: NXCloudHook(disposition_overrides=raw),
    "campaign operator": _operator_hook(BukaSendSmsOperator, recipients=["6591234567"], text="hi"),
    "voice task operator": _operator_hook(BukaResendVoiceTaskOperator, voice_task_id="1"),
    "PNS operator": _operator_hook(NXCloudUnbindNumberOperator, bind_id="b-1"),
    "delivery sensor": _operator_hook(BukaSmsDeliverySensor, message_ids=["1"]),
    "call sensor": _operator_hook(NXCloudVoiceCallSensor, results_path="r.jsonl"),
    "task sensor": _operator_hook(BukaVoiceTaskSensor, voice_task_id="1"),
}


def _parsed_by(consumer: Callable[[Any], Any], raw: Any) -> dict[str, Disposition]:
    return dict(consumer(raw).overrides.by_key)


@pytest.mark.parametrize(("raw", "meaning"), ACCEPTED)
@pytest.mark.parametrize("consumer", CONSUMERS, ids=str)
def test_every_task_and_hook_reads_the_same_forms(consumer, raw, meaning):
    assert parse_overrides(raw) == meaning
    assert _parsed_by(CONSUMERS[consumer], raw) == meaning


@pytest.mark.parametrize(("raw", "problem"), REFUSED)
@pytest.mark.parametrize("consumer", CONSUMERS, ids=str)
def test_every_task_and_hook_refuses_the_same_forms(consumer, raw, problem):
    with pytest.raises(InvalidInputError) as parsed:
        parse_overrides(raw)
    with pytest.raises(InvalidInputError) as refused:
        CONSUMERS[consumer](raw)
    assert refused.value.parameter == parsed.value.parameter == "disposition_overrides"
    assert problem in refused.value.problem and refused.value.problem == parsed.value.problem


# ----- the trigger form -------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "meaning"), ACCEPTED)
def test_the_trigger_form_is_plain_json_that_means_the_same(raw, meaning):
    plain = plain_overrides(raw)
    assert plain is None if not meaning else plain == {key: value.value for key, value in meaning.items()}
    delivery = WaitTrigger(
        platform="buka", watch="delivery", options=delivery_options("buka", message_ids=["1"]), conn_id="b",
        poll_interval=1, end_time=0, max_consecutive_errors=1, disposition_overrides=plain,
    )  # fmt: skip
    task = WaitTrigger(
        platform="buka", watch="buka_voice_task", options={}, conn_id="b", poll_interval=1,
        end_time=0, max_consecutive_errors=1, disposition_overrides=plain,
    )  # fmt: skip
    for trigger in (delivery, task):
        kwargs = trigger.serialize()[1]
        assert kwargs["disposition_overrides"] == plain
        assert parse_overrides(kwargs["disposition_overrides"]) == meaning


@pytest.mark.parametrize(("raw", "problem"), REFUSED)
def test_no_trigger_is_given_a_form_its_hook_would_refuse(raw, problem):
    with pytest.raises(InvalidInputError, match="disposition_overrides") as refused:
        plain_overrides(raw)
    assert problem in refused.value.problem


# ----- which override a reply's code gets -------------------------------------------------------


def test_the_most_specific_key_wins_and_others_platforms_keys_never_match():
    overrides = parse_overrides(
        {"-18": "fail", "sms:-18": "resign", "buka:sms:-18": "retry", "nxcloud:sms:7": "retry"}
    )
    assert override_for(overrides, "buka", "sms", -18) is RETRY
    assert override_for(overrides, "nxcloud", "sms", "-18") is RESIGN
    assert override_for(overrides, "buka", "voice", "-18") is FAIL
    assert override_for(overrides, "buka", "sms", "7") is None
    assert override_for(overrides, "nxcloud", "sms", " 7 ") is RETRY


# ----- the retry policy: the same grammar, retry or fail only -----------------------------------

needs_retry_policy = pytest.mark.skipif(
    not version_compat.HAS_RETRY_POLICY, reason="retry policies need Airflow 3.3+"
)


@needs_retry_policy
@pytest.mark.parametrize(("raw", "meaning"), ACCEPTED)
def test_the_retry_policy_reads_the_same_forms(raw, meaning):
    from airflow_provider_nxcloud.retry_policy import NXCloudRetryPolicy

    if RESIGN in meaning.values():
        with pytest.raises(InvalidInputError, match="must be retry or fail") as refused:
            NXCloudRetryPolicy(overrides=raw)
        assert refused.value.parameter == "overrides"
        return
    assert NXCloudRetryPolicy(overrides=raw).overrides == meaning


@needs_retry_policy
@pytest.mark.parametrize(("raw", "problem"), REFUSED)
def test_the_retry_policy_refuses_the_same_forms(raw, problem):
    from airflow_provider_nxcloud.retry_policy import NXCloudRetryPolicy

    with pytest.raises(InvalidInputError) as refused:
        NXCloudRetryPolicy(overrides=raw)
    assert refused.value.parameter == "overrides"  # the policy's own parameter
    assert problem.replace("retry, resign or fail", "retry or fail") in refused.value.problem
