"""Offline simulator of the NXCloud, Buka and Fone Dynamics APIs, for testing DAGs without a network.

One loopback HTTP server (FastAPI on uvicorn) serves the three vendors' real
paths on one origin: NXCloud ``/api/...`` and ``/v1/...``, Buka ``/v3/...``,
Fone Dynamics ``/v2/...``. It checks signatures and credentials exactly as
the vendors document them and answers with their envelopes and codes, moves
delivery reports on over a clock the test controls, injects faults from a
seeded plan, and keeps a ledger of every accepted message so a test can
prove that nothing was lost and nothing sent twice.

Command line::

    python -m airflow_provider_nxcloud.testing --port 8765 [--host 127.0.0.1] [--seed N]
        [--fault-rate R] [--fault-weights http_503=2,reset_after=1] [--latency-ms MS]
        [--time-scale X] [--delivery-delay S] [--ledger entries|counts] [--rtt-ms MS]
        [--handshake-rtts N] [--print-env]

prints ``NXCloud simulator listening on http://127.0.0.1:8765`` and runs until
SIGINT or SIGTERM (exit code 0). ``--print-env`` also prints ``export`` lines
for the three default Airflow connections.

Python::

    from airflow_provider_nxcloud.testing import run_simulator

    with run_simulator(seed=7, delivery_delay=2) as sim:  # free port, background thread
        os.environ.update(sim.connection_env())          # nxcloud_/buka_/fonedynamics_default
        ...
        sim.clock.advance(5)                              # reports turn final
        assert sim.ledger.duplicates() == {}

pytest (the plugin is registered by the provider's ``pytest11`` entry point): take
the ``nxcloud_simulator`` fixture and run your own DAG code against the
``*_default`` connections. Say a DAG's task calls this::

    def send_alert(text: str) -> str:
        hook = BukaHook()
        body = {"appId": hook.app_id("sms"), "numbers": "61400000001", "content": text, "orderId": "alert-1"}
        return hook.call("sms_send", body, client_reference="alert-1")["array"][0]["msgId"]

then its tests, offline::

    def test_alert_is_sent_once(nxcloud_simulator):
        send_alert("Build done")
        [sms] = nxcloud_simulator.ledger.entries(platform="buka", kind="sms")
        assert (sms.recipient, sms.content, sms.client_reference) == ("61400000001", "Build done", "alert-1")
        nxcloud_simulator.clock.advance(5)                        # the delivery report is final now

    def test_a_lost_reply_is_not_resent(nxcloud_simulator):
        nxcloud_simulator.faults.next("reset_after", endpoint="sms_send", platform="buka")
        with pytest.raises(AmbiguousSendError):
            send_alert("Build done")
        assert nxcloud_simulator.ledger.count() == 1              # accepted once, never sent twice

The fixture resets the simulator before each test and sets
``AIRFLOW_CONN_NXCLOUD_DEFAULT``, ``AIRFLOW_CONN_BUKA_DEFAULT`` and
``AIRFLOW_CONN_FONEDYNAMICS_DEFAULT``; one server serves the whole session.
Override the session fixture ``nxcloud_simulator_options`` to configure it.

Accounts (defaults in :mod:`~airflow_provider_nxcloud.testing.accounts`): NXCloud
``sim-access-key``/``sim-access-secret`` with SMS, voice, number-check,
WhatsApp (business phone ``6561234567``), Viber and Zalo apps; Buka
``sim-api-key``/``sim-api-secret`` with appIds
``sim-sms-app``, ``sim-voice-app``, ``sim-email-app``, ``sim-ai-voice-app``;
Fone Dynamics ``sim-account-sid``/``sim-token`` with property ``sim-property-sid``.

Time: ``sim.clock.now()`` is the progress clock (start + real elapsed x
``time_scale`` + ``sim.clock.advance(seconds)``). A message is pending at
first, submitted after half of ``delivery_delay`` (default 2 s) and final
after all of it. Numbers ending in ``0000`` and the numbers in
``undeliverable=[...]`` fail; the others are delivered. Calls (Buka
``sendCode``/``sendGroup``, NXCloud ``notsend``/``versend``/``gpsend``) follow the
same timeline: answered, or unanswered for those numbers, once the delay has
passed, when their call records appear (Buka ``voice/recordGroup/{voiceId}``,
NXCloud ``getVoiceCdr``). Buka emails to domains ending in ``.invalid`` fail. Timestamps in requests
are checked against the vendor clock, wall time plus ``sim.clock.vendor_skew_ms``.
``sim.clock.set_time_scale(0)`` freezes the progress clock, so that only
``advance()`` moves it (no test depends on how fast it runs).

Faults (:class:`FaultPlan`): kinds ``http_500``, ``http_502``, ``http_503``,
``http_429``, ``vendor_rate_limit``, ``vendor_busy``, ``timestamp_expired``,
``latency``, ``reset_before`` (connection dropped, nothing processed),
``reset_after`` (processed and recorded, then the connection is dropped),
``http_503_after`` (processed and recorded, then a gateway answers 503) and
``vendor_code`` (any code the test names, as the platform sends it on that endpoint;
rules only, through ``next_code``)::

    run_simulator(seed=1, fault_rate=0.1)                  # random, reproducible
    sim.faults.next("reset_after", endpoint="sms_send", platform="buka")  # the next such request
    sim.faults.set(at={3: "http_503"})                     # exactly the 3rd vendor request
    sim.faults.next_code("-10", endpoint="sms_send", platform="buka")  # any vendor code, once
    sim.faults.counts()                                    # {"reset_after": 1, ...}

or over HTTP with ``POST /_simulator/faults``. Faults never touch ``/_simulator/``.
HTTP-status and vendor-code faults answer before the request is processed;
only ``latency``, ``reset_after`` and ``http_503_after`` let it take effect.

Ledger (kinds ``"sms"``, ``"voice"``, ``"email"``, ``"whatsapp"``, ``"viber"``,
``"zalo"``, one per recipient; ``"voice_task"`` and ``"voice_task_resend"`` (Buka group-call
tasks), ``"ai_voice_task"`` and ``"ai_customer"`` (Buka AI voice), ``"binding"`` (NXCloud
PNS) and ``"number_check"`` (one per checked number); an NXCloud call's vendor id is
its request's ``messageid``): ``sim.ledger.entries(platform=None, kind=None)``, ``.count()``,
``.duplicates()`` -> ``{(recipient, content, client_reference): count}``;
requests received (including rejected ones): ``sim.requests.total()``,
``.by_endpoint()``, ``.peak_qps()``. Over HTTP: ``GET /_simulator/ledger``,
``POST /_simulator/reset``, ``POST /_simulator/clock/advance {"seconds": n}``,
``POST /_simulator/clock/scale {"time_scale": x}``,
``POST /_simulator/clock/skew {"vendor_skew_ms": n}``, ``GET|POST /_simulator/faults``,
``GET /_simulator/health``.

History: ``sim.seed_sms_history(platform, since, until, count)`` (``POST /_simulator/seed``)
files ``count`` NXCloud or Fone Dynamics SMS sent evenly over ``[since, until)`` (1.5 s per
100,000), as their sends would have (:mod:`~airflow_provider_nxcloud.testing.seeding`): what the
record queries (``getSmsCdr``, find SMS) and the record exports read.
``sim.seed_call_center_history(since, until, count)`` (``POST /_simulator/seed/call_center``)
files ``count`` Buka call-center calls started evenly over ``[since, until)``: what
``cc/record/query`` and the call-center export read.
``sim.seed_voice_history(since, until, count)`` (``POST /_simulator/seed/voice``) files ended
Buka group/OTP calls (answered, rung out, busy, declined; their durations and costs), what
``voice/recordGroupQuery`` lists.

``sim.reset()`` (``POST /_simulator/reset``) clears the ledger, the request log,
injected-fault counts, clock advances, speed changes and skew and stored task
state, and puts the fault plan back to the one the simulator was started with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_nxcloud.testing.accounts import (
    Accounts,
    BukaAccount,
    FoneDynamicsAccount,
    NXCloudAccount,
)
from airflow_provider_nxcloud.testing.faults import FaultKind, FaultPlan, FaultRule
from airflow_provider_nxcloud.testing.ledger import LedgerEntry

if TYPE_CHECKING:
    from airflow_provider_nxcloud.testing.app import create_app
    from airflow_provider_nxcloud.testing.server import Simulator, run_simulator

__all__ = [
    "Accounts",
    "BukaAccount",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "FoneDynamicsAccount",
    "LedgerEntry",
    "NXCloudAccount",
    "Simulator",
    "create_app",
    "run_simulator",
]

# The server pulls in FastAPI and uvicorn; load it only when asked for, so that
# importing the pytest plugin (a submodule) stays cheap for every test session.
_LAZY = {
    "Simulator": "airflow_provider_nxcloud.testing.server",
    "run_simulator": "airflow_provider_nxcloud.testing.server",
    "create_app": "airflow_provider_nxcloud.testing.app",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
