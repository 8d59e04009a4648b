"""Seed the simulator with a period of message history, fast: what the record exports read.

A month of records sent one request at a time would take minutes; an export test needs
them in a second. :func:`seed_sms_history` files ``count`` SMS in the ledger directly,
spread evenly over ``[since, until)``, each exactly as the platform's own send handler
files one (same kind, account, app, vendor id shape and delivery timeline), so the record
queries (NXCloud ``getSmsCdr``, Fone Dynamics find SMS) answer them with the same rows a
sent message gets. Nothing here bypasses a contract: only the sends are skipped.

``Simulator.seed_sms_history(...)`` and ``POST /_simulator/seed`` (``{"platform",
"since", "until", "count"}``) call it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from airflow_provider_nxcloud.testing.buka import CALL_CENTER_KIND, CALL_CENTER_NUMBER
from airflow_provider_nxcloud.testing.ledger import LedgerEntry

if TYPE_CHECKING:
    from airflow_provider_nxcloud.testing.state import SimulatorState

#: the platforms whose SMS history can be seeded
SEEDABLE = ("nxcloud", "fonedynamics")


def _hex(seed: int, index: int, length: int) -> str:
    return hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=(length + 1) // 2).hexdigest()[:length]


def seed_sms_history(state: SimulatorState, platform: str, since: float, until: float, count: int) -> int:
    """File ``count`` SMS of ``platform`` sent between ``since`` (inclusive) and ``until``
    (exclusive), epoch seconds on the progress clock, evenly spaced; returns ``count``.

    Each number is distinct; one in ten thousand (those ending in ``0000``) is undeliverable
    under the default delivery model. Vendor ids are derived from the simulator's seed and
    the entry's position among the seeded, so a reset simulator seeded alike files alike.
    """
    if platform not in SEEDABLE:
        raise ValueError(f"platform must be one of {', '.join(SEEDABLE)}, not {platform!r}")
    if count < 0 or until <= since:
        raise ValueError(f"need count >= 0 and until > since, not {count}, {since}..{until}")
    accounts = state.accounts
    step = (until - since) / max(count, 1)
    for index in range(count):
        # whole seconds, as the vendors stamp them; never past until
        moment = float(int(since + index * step))
        if platform == "nxcloud":
            recipient, vendor_id = f"6581{index:06d}", _hex(state.seed, index, 32)
            account, app, endpoint = accounts.nxcloud.access_key, accounts.nxcloud.sms_app_key, "sms_send_v2"
        else:
            recipient, vendor_id = f"+6140{index:07d}", "MG" + _hex(state.seed, index, 30).upper()
            account, app = accounts.fonedynamics.account_sid, accounts.fonedynamics.property_sid
            endpoint = "send_batch"
        state.ledger.add(
            LedgerEntry(
                platform=platform,
                kind="sms",
                account=account,
                app=app,
                recipient=recipient,
                content=f"Seeded message {index}",
                vendor_id=vendor_id,
                client_reference=None,
                endpoint=endpoint,
                time=moment,
                status="pending",
                timeline=state.delivery.sms_timeline(recipient, moment),
                details={"delivery_receipt": True, "scheduled": None} if platform == "fonedynamics" else {},
            )
        )
    return count


#: (callType, hangupReason, hangingDirection, answered) of the seeded calls, in turn: every
#: documented call type and hang-up reason (onbuka.com/call-api20) appears in a day's calls
_CALL_CENTER_OUTCOMES = (
    (3, 1, 0, True),
    (3, 0, 3, False),
    (2, 9, 1, True),
    (1, 3, 0, True),
    (2, 8, 3, False),
    (3, 7, 3, False),
    (1, 2, 0, False),
    (3, 4, 3, False),
    (3, 5, 3, False),
    (3, 6, 3, False),
)


def seed_call_center_history(state: SimulatorState, since: float, until: float, count: int) -> int:
    """File ``count`` Buka call-center calls started between ``since`` (inclusive) and ``until``
    (exclusive), epoch seconds, evenly spaced; returns ``count``: what ``cc/record/query`` answers.

    The call center belongs to the account (the query takes no appId), so the entries carry no
    app; ``recipient`` is the customer's number. Each call has its own session id (the record's unique id), number and ``keyId``, and
    cycles through every documented call type and hang-up reason; answered calls last 1-300 s.
    Derived from the simulator's seed and the call's position, so a reset simulator seeded alike
    files alike.
    """
    if count < 0 or until <= since:
        raise ValueError(f"need count >= 0 and until > since, not {count}, {since}..{until}")
    account = state.accounts.buka.api_key
    step = (until - since) / max(count, 1)
    for index in range(count):
        moment = float(int(since + index * step))
        call_type, reason, side, answered = _CALL_CENTER_OUTCOMES[index % len(_CALL_CENTER_OUTCOMES)]
        seconds = 1 + index % 300 if answered else 0
        number = f"6590{index:07d}"
        state.ledger.add(
            LedgerEntry(
                platform="buka",
                kind=CALL_CENTER_KIND,
                account=account,
                app=None,
                recipient=number,
                content=f"Seeded call {index}",
                vendor_id=_hex(state.seed, index, 32),
                client_reference=None,
                endpoint="cc_record_query",
                time=moment,
                status="delivered" if answered else "undelivered",
                sender=CALL_CENTER_NUMBER,
                details={
                    "keyId": index + 1,
                    "callType": call_type,
                    "hangupReason": reason,
                    "hangingDirection": side,
                    "callDuration": seconds,
                    "agent": f"agent{index % 20:02d}",
                },
            )
        )
    return count
