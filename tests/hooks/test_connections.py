"""Connections are checked before anything is sent; test_connection reads, never sends."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowNotFoundException

from airflow_provider_nxcloud import version_compat
from airflow_provider_nxcloud.connection_forms import FORMS
from airflow_provider_nxcloud.exceptions import ConnectionConfigError
from airflow_provider_nxcloud.hooks.base import resolve_origin
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import PROBE_BATCH_NO, NXCloudHook
from tests.hooks.conftest import NX_SECRET, ORIGIN, SMS_APP_SECRET, set_conn

HOOKS = {"nxcloud": NXCloudHook, "buka": BukaHook, "fonedynamics": FoneDynamicsHook}

#: Airflow 3.1 builds an AIRFLOW_CONN_* connection with its own model, which refuses an extra that is
#: not a JSON object: the connection is then "not defined" before the hook sees it. From 3.2 the Task
#: SDK's model takes the extra as it is, and the hook names the field.
AIRFLOW_REFUSES_BAD_EXTRA = not version_compat.AIRFLOW_V_3_2_PLUS


def broken(monkeypatch, conn_type: str, **fields) -> object:
    conn = {"conn_type": conn_type, "login": "key", "password": "secret-value-123", **fields}
    set_conn(monkeypatch, "broken", **{k: v for k, v in conn.items() if v is not None})
    return HOOKS[conn_type]("broken")


@pytest.mark.parametrize("conn_type", sorted(HOOKS))
@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"login": None}, "login", "is empty"),
        ({"password": None}, "password", "is empty"),
        ({"login": "   "}, "login", "is empty"),
        ({"host": "http://api.example.com"}, "host", "unencrypted"),
        ({"host": "ftp://api.example.com"}, "host", "scheme must be https"),
        ({"host": "https://user:pw@api.example.com"}, "host", "must not carry credentials"),
        ({"host": "https://api.example.com/?a=1"}, "host", "query string"),
        ({"host": "https://api.example.com:99999"}, "host", "not a valid URL"),
        ({"host": "https:// "}, "host", "no host name"),
        ({"extra": '{"max_qps": 5,'}, "extra", "not valid JSON"),
        ({"extra": "[1, 2]"}, "extra", "JSON object"),
        ({"extra": {"connect_timeout": "soon"}}, "connect_timeout", "must be a number"),
        ({"extra": {"read_timeout": 0}}, "read_timeout", ">= 1"),
        ({"extra": {"max_qps": True}}, "max_qps", "must be a number"),
        ({"extra": {"allow_insecure_http": "yes"}}, "allow_insecure_http", "true or false"),
        (
            {"extra": {"proxy": "socks5://u:secret-value-123@p.test:1080"}},
            "proxy",
            "only http:// and https://",
        ),
        ({"extra": {"proxy": "ftp://p.test"}}, "proxy", "must be an http:// or https:// URL"),
        ({"extra": {"proxy": "http://u:secret-value-123@p.test:99999"}}, "proxy", "not a valid URL"),
        ({"extra": {"proxy": "http://u:secret-value-123@:3128"}}, "proxy", "names no host"),
        ({"extra": {"proxy": "http://p.test:3128/path"}}, "proxy", "host[:port] only"),
        ({"extra": {"proxy": 3128}}, "proxy", "must be text"),
        ({"extra": {"verify": "/nonexistent/ca-bundle.pem"}}, "verify", "does not exist on this worker"),
        ({"extra": {"verify": "yes"}}, "verify", "must be true, false or the path"),
        ({"extra": {"verify": 1}}, "verify", "must be text"),
    ],
)
def test_bad_connections_fail_before_any_request(
    requests_mock, monkeypatch, conn_type, fields, field, problem
):
    hook = broken(monkeypatch, conn_type, **fields)
    if field == "extra" and AIRFLOW_REFUSES_BAD_EXTRA:
        for attempt in (hook.get_conn, hook.test_connection):
            with pytest.raises(AirflowNotFoundException, match="`broken` isn't defined") as refused:
                attempt()
            assert "secret-value-123" not in str(refused.value)
        assert requests_mock.call_count == 0
        return
    with pytest.raises(ConnectionConfigError) as err:
        hook.get_conn()
    assert err.value.field == field and problem in str(err.value)
    assert "'broken'" in str(err.value)
    assert requests_mock.call_count == 0
    ok, message = hook.test_connection()
    assert ok is False and problem in message
    assert "secret-value-123" not in message
    assert requests_mock.call_count == 0


def test_broken_extra_json_is_not_echoed(monkeypatch):
    hook = broken(monkeypatch, "buka", extra='{"app_id": "x", "token": "hunter2-secret",')
    with pytest.raises(
        AirflowNotFoundException if AIRFLOW_REFUSES_BAD_EXTRA else ConnectionConfigError
    ) as err:
        hook.get_conn()
    assert "hunter2-secret" not in str(err.value)


@pytest.mark.parametrize(
    ("extra", "problem_field"),
    [({"sign_algorithm": "sha1"}, "sign_algorithm"), ({"sms_app_key": 42}, "sms_app_key")],
)
def test_nxcloud_specific_extras_are_checked(monkeypatch, extra, problem_field):
    hook = broken(monkeypatch, "nxcloud", extra=extra)
    with pytest.raises(ConnectionConfigError) as err:
        hook.get_conn()
    assert err.value.field == problem_field


def test_a_verify_file_that_is_no_ca_bundle_fails_naming_the_extra(requests_mock, monkeypatch, tmp_path):
    not_pem = tmp_path / "bundle.pem"
    not_pem.write_text("this is not a certificate\n")
    hook = broken(monkeypatch, "fonedynamics", extra={"verify": str(not_pem)})
    with pytest.raises(ConnectionConfigError, match="is not a readable CA bundle in PEM form") as err:
        hook.get_conn()
    assert err.value.field == "verify"
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("conn_type", sorted(HOOKS))
def test_a_connection_saved_with_the_forms_defaults_gives_the_masker_nothing_short(monkeypatch, conn_type):
    # The UI stores a field's default in the extras, and Airflow hands every extra value to its
    # secrets masker when the connection is read: one under 5 characters (a default base_path
    # "/v3") logged "Skipping masking for a secret as it's too short" for every Buka connection.
    from airflow.sdk._shared.secrets_masker.secrets_masker import SecretsMasker

    short: list[tuple[str | None, str]] = []
    add_mask = SecretsMasker.add_mask

    def recording(self, secret, name=None):
        if isinstance(secret, str) and 0 < len(secret) < 5:
            short.append((name, secret))
        return add_mask(self, secret, name)

    monkeypatch.setattr(SecretsMasker, "add_mask", recording)
    defaults = {spec.name: spec.default for spec in FORMS[conn_type].fields if spec.default is not None}
    assert defaults, "the form lost its defaults: this test would prove nothing"
    set_conn(
        monkeypatch, "defaults", conn_type=conn_type, login="key-1234", password="secret-1234", extra=defaults
    )
    HOOKS[conn_type]("defaults").get_conn()
    assert short == []


def test_buka_base_path_must_be_a_path(monkeypatch):
    hook = broken(monkeypatch, "buka", extra={"base_path": "v3"})
    with pytest.raises(ConnectionConfigError, match="base_path"):
        hook.get_conn()


@pytest.mark.parametrize(
    ("host", "port", "schema", "allow", "expected"),
    [
        (None, None, None, False, None),
        ("", None, None, False, None),
        ("api.example.com", None, None, False, "https://api.example.com"),
        ("api.example.com", 8443, None, False, "https://api.example.com:8443"),
        ("https://api.example.com/", None, None, False, "https://api.example.com"),
        ("https://proxy.example.com/buka/", None, None, False, "https://proxy.example.com/buka"),
        ("http://127.0.0.1:8765", None, None, False, "http://127.0.0.1:8765"),
        ("http://localhost:8765", None, None, False, "http://localhost:8765"),
        ("http://[::1]:8765", None, None, False, "http://[::1]:8765"),
        ("127.0.0.2", 9000, "http", False, "http://127.0.0.2:9000"),
        ("http://sim.internal:8765", None, None, True, "http://sim.internal:8765"),
    ],
)
def test_resolve_origin(host, port, schema, allow, expected):
    assert resolve_origin("c", host, port, schema, allow) == expected


@pytest.mark.parametrize(
    ("conn_type", "endpoint", "url"),
    [
        ("nxcloud", "sms_send_v2", "https://api2.nxcloud.com/api/sms/mtsend_v2"),
        ("nxcloud", "sms_send_v1", "https://api.nxcloud.com/v1/sms/mt"),
        ("nxcloud", "balance", "https://api.nxcloud.com/api/common/getBalance"),
        ("nxcloud", "pns_bindAXB", "https://number.nxcloud.com/api/pns/"),
        ("buka", "sms_send", "https://api.onbuka.com/v3/sendSms"),
        ("fonedynamics", "get_message", "https://api.fonedynamics.com/v2/Messages/SM1"),
    ],
)
def test_without_a_host_each_endpoint_goes_to_its_vendor_origin(monkeypatch, conn_type, endpoint, url):
    hook = broken(monkeypatch, conn_type)
    assert hook.settings.origin is None
    call = hook.get_conn().prepare(hook.endpoint(endpoint), path_params={"message_sid": "SM1"})
    assert call.url == url


def test_a_host_overrides_every_endpoint(monkeypatch):
    hook = broken(monkeypatch, "nxcloud", host="https://proxy.example.com/nx")
    for name in ("sms_send_v1", "pns_bindAXB", "number_check_query"):
        assert hook.get_conn().prepare(hook.endpoint(name)).url.startswith("https://proxy.example.com/nx/")


def test_buka_white_label_without_v3(requests_mock, monkeypatch):
    set_conn(
        monkeypatch,
        "itnio",
        conn_type="buka",
        login="k",
        password="s",
        host="https://api.whitelabel.test",
        extra={"base_path": "/"},
    )
    requests_mock.get("https://api.whitelabel.test/getBalance", json={"status": "0", "balance": "1"})
    assert BukaHook("itnio").get_balance()["balance"] == "1"


def test_timeouts_and_qps_cap_reach_the_transport(monkeypatch):
    set_conn(
        monkeypatch,
        "tuned",
        conn_type="fonedynamics",
        login="AC",
        password="t",
        extra={"connect_timeout": 3, "read_timeout": "45", "max_qps": 20},
    )
    settings = FoneDynamicsHook("tuned").get_conn().settings
    assert (settings.connect_timeout, settings.read_timeout, settings.max_qps) == (3.0, 45.0, 20.0)


def test_secrets_are_masked(monkeypatch):
    from airflow.sdk.log import redact

    set_conn(
        monkeypatch,
        "masked",
        conn_type="nxcloud",
        login="k",
        password="access-secret-to-mask",
        extra={
            "voice_app_secret": "voice-secret-to-mask",
            "proxy": "http://squid:proxy%2Bpass-to-mask@proxy.test:3128",
        },
    )
    NXCloudHook("masked").get_conn()
    assert "access-secret-to-mask" not in str(redact("x access-secret-to-mask y"))
    assert "voice-secret-to-mask" not in str(redact("voice-secret-to-mask"))
    # the proxy's password as written in the URL and as sent (decoded)
    assert "pass-to-mask" not in str(redact("proxy%2Bpass-to-mask proxy+pass-to-mask"))


def test_secrets_read_in_a_trigger_are_masked(monkeypatch):
    """The async lookup (triggers) masks through the public mask_secret, off the event loop thread."""
    import asyncio

    from airflow.sdk.log import redact

    set_conn(
        monkeypatch,
        "masked_async",
        conn_type="nxcloud",
        login="k",
        password="async-secret-to-mask",
        extra={"sms_app_secret": "sms-secret-to-mask"},
    )
    settings = asyncio.run(NXCloudHook("masked_async").aget_settings())
    assert settings.login == "k"
    assert "async-secret-to-mask" not in str(redact("x async-secret-to-mask y"))
    assert "sms-secret-to-mask" not in str(redact("sms-secret-to-mask"))


# ----- test_connection ----------------------------------------------------------------------------


@pytest.mark.usefixtures("connections")
def test_nxcloud_test_connection_reads_what_the_connection_is_for(requests_mock):
    balance = requests_mock.post(f"{ORIGIN}/api/common/getBalance", json={"code": "0", "balance": "88.10"})
    query = requests_mock.post(f"{ORIGIN}/api/number/query", json={"code": 0, "msg": "success", "data": {}})
    ok, message = NXCloudHook().test_connection()
    assert ok, message
    assert message == (
        "NXCloud accepted SMS app sms-app (balance query): balance 88.10; accessKey nx-access-key "
        "with number-check app nc-app (signed number-check query): answered"
    )
    assert balance.call_count == 1
    assert query.last_request.json()["batchNo"] == PROBE_BATCH_NO
    assert query.last_request.headers["action"] == "numbercheck"
    assert NX_SECRET not in message and SMS_APP_SECRET not in message


@pytest.mark.usefixtures("connections")
def test_test_connection_reports_the_vendor_code_and_what_it_was_checking(requests_mock):
    requests_mock.post(f"{ORIGIN}/api/common/getBalance", json={"code": "0", "balance": "88.10"})
    requests_mock.post(f"{ORIGIN}/api/number/query", json={"code": 1005, "msg": "Insufficient permissions"})
    ok, message = NXCloudHook().test_connection()
    assert ok is False
    assert message.startswith(
        "OK SMS app sms-app (balance query): balance 88.10; FAILED accessKey nx-access-key"
    )
    assert "code 1005" in message


@pytest.mark.usefixtures("connections")
def test_buka_and_fonedynamics_test_connection(requests_mock):
    requests_mock.get(f"{ORIGIN}/v3/getBalance", json={"status": "0", "balance": "5"})
    prop = requests_mock.get(f"{ORIGIN}/v2/Properties/PR1", json={"Property": {"PropertySid": "PR1"}})
    assert BukaHook().test_connection() == (True, "Buka accepted API key buka-key; balance 5")
    ok, message = FoneDynamicsHook().test_connection()
    assert ok and "PR1" in message and prop.call_count == 1
    assert all(r.method == "GET" for r in requests_mock.request_history)


def test_hooks_take_the_documented_conn_id_parameters():
    assert NXCloudHook(nxcloud_conn_id="a").conn_id == "a"
    assert BukaHook(buka_conn_id="b").conn_id == "b"
    assert FoneDynamicsHook(fonedynamics_conn_id="c").conn_id == "c"
    assert (NXCloudHook().conn_id, BukaHook().conn_id, FoneDynamicsHook().conn_id) == (
        "nxcloud_default",
        "buka_default",
        "fonedynamics_default",
    )
