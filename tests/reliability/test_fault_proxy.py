"""The fault proxy's bookkeeping: which request an arm lands on, and what its query log keeps."""

from __future__ import annotations

from tests.reliability.runtime.fault_proxy import Arm, ProxyState

QUERY = "/api/sms/getSmsCdr"


def test_an_arm_that_skips_lands_on_the_request_after_the_skipped_ones() -> None:
    state = ProxyState(arms=[Arm("hold_reply", count=1, path_contains=QUERY, skip=7)])
    taken = [state.take("hold_reply", QUERY) for _ in range(10)]
    # other paths and other actions neither take the arm nor use up its skips
    assert not state.take("hold_reply", "/api/sms/mtsend_v2")
    assert not state.take("hold_request", QUERY)
    assert taken == [False] * 7 + [True, False, False]


def test_the_query_log_keeps_only_the_named_fields_of_the_logged_path() -> None:
    state = ProxyState(log_path=QUERY, log_names=("date", "page"))
    state.log(QUERY, b"date=20261130&page=8&page_size=200&sign=abc123secret", ("127.0.0.1", 50_123))
    state.log("/api/sms/mtsend_v2", b"phone=6581000001&sign=abc123secret", ("127.0.0.1", 50_123))
    logged = state.to_json()["logged"]
    assert [(entry["path"], entry["peer"], entry["fields"]) for entry in logged] == [
        (QUERY, ["127.0.0.1", 50_123], {"date": "20261130", "page": "8"})
    ]
    assert "abc123secret" not in repr(logged)


def test_nothing_is_logged_unless_asked() -> None:
    state = ProxyState()
    state.log(QUERY, b"date=20261130&page=1", ("127.0.0.1", 50_123))
    assert state.to_json()["logged"] == []
