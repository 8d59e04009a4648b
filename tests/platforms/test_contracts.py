"""The contract checker: what it calls a violation, on made-up contracts (the vendors' are in tests/contracts)."""

from __future__ import annotations

import pytest

from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud
from airflow_provider_nxcloud.platforms.contract_index import CONTRACTS
from airflow_provider_nxcloud.platforms.contracts import Contract, FieldRule, contract_index

TASK = Contract(
    "buka",
    "voice_task_create",
    "https://example.invalid/page",
    fields=(
        FieldRule("appId"),
        FieldRule("loopCount", "integer"),
        FieldRule("taskName", min_length=2, max_length=64),
        FieldRule("numberList", "array", max_length=3),
        FieldRule("numberList[]", pattern=r"\d{7,15}"),
        FieldRule("source", "integer", choices=(1, 2, 3)),
        FieldRule("text", required=False, required_when=("source", (3,))),
        FieldRule("params.strTime", pattern=r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
        FieldRule("items[].To"),
    ),
)

GOOD = {
    "appId": "app",
    "loopCount": 1,
    "taskName": "spring",
    "numberList": ["61400000001"],
    "source": 1,
    "params": {"strTime": "2026-12-01 00:00:00"},
    "items": [{"To": "+61400000001"}],
}


def test_a_conforming_payload_has_no_violations() -> None:
    assert TASK.violations(GOOD) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"appId": None}, "appId: required and missing"),
        ({"appId": ""}, "appId: required and missing"),
        ({"loopCount": "1"}, "loopCount: must be integer, not str '1'"),
        ({"loopCount": True}, "loopCount: must be integer, not bool True"),
        ({"taskName": "x"}, "taskName: has 1, the documented minimum is 2"),
        ({"numberList": ["1234567"] * 4}, "numberList: has 4, the documented maximum is 3"),
        ({"numberList": ["61400000001", "12"]}, "numberList[1]: '12' does not match the documented format"),
        ({"source": 4}, "source: 4 is not one of the documented values [1, 2, 3]"),
        ({"source": 3}, "text: required and missing"),
        ({"params": {}}, "params.strTime: required and missing"),
        ({"params": {"strTime": "2026-12-01"}}, "params.strTime: '2026-12-01' does not match"),
        ({"items": [{"To": "+1"}, {}]}, "items[1].To: required and missing"),
    ],
)
def test_each_kind_of_violation_is_named(change: dict[str, object], expected: str) -> None:
    payload = {**GOOD, **change}
    payload = {key: value for key, value in payload.items() if value is not None}
    problems = TASK.violations(payload)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


def test_a_field_required_only_when_another_has_a_value() -> None:
    assert TASK.violations({**GOOD, "source": 3, "text": "hello"}) == []
    assert TASK.violations({**GOOD, "source": 1}) == []


def test_text_bodies_take_digits_for_integers_and_refuse_file_parts() -> None:
    form = Contract(
        "nxcloud",
        "voice_upload",
        "https://example.invalid/upload",
        fields=(FieldRule("appkey"), FieldRule("size", "integer"), FieldRule("file", "file")),
    )

    class Upload:
        filename = "hello.wav"

    assert form.violations({"appkey": "k", "size": "12", "file": Upload()}, text_values=True) == []
    problems = form.violations({"appkey": Upload(), "size": "twelve", "file": "x"}, text_values=True)
    assert problems == [
        "appkey: must be a plain string field, not a Upload",
        "size: must be integer, not str 'twelve'",
        "file: must be file, not str 'x'",
    ]


def test_an_index_refuses_a_contract_defined_twice() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        contract_index([TASK], [TASK])


def test_an_unknown_field_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        FieldRule("x", "date")


def test_every_contract_names_an_endpoint_of_its_platform_and_a_source() -> None:
    tables = {"nxcloud": nxcloud.ENDPOINTS, "buka": buka.ENDPOINTS, "fonedynamics": fonedynamics.ENDPOINTS}
    for (platform, endpoint), contract in CONTRACTS.items():
        assert endpoint in tables[platform], (platform, endpoint)
        assert contract.source.startswith(("https://", "http://")) or ":" in contract.source, contract.key
