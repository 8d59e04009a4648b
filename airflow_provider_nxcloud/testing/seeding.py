"""Seed the simulator with a period of message history, fast: what the record exports read.

A month of records sent one request at a time would take minutes; an export test needs
them in a second. :func:`seed_sms_history` files ``count`` SMS in the ledger directly,
spread evenly over ``[since, until)``, each exactly as the platform's own send handler
files one (same kind, account, app, vendor id shape and delivery timeline), so the record
queries (NXCloud ``getSmsCdr``, Fone Dynamics find SMS) answer them with the same rows a
sent message gets. Nothing here bypasses a contract: only the sends are skipped.

``Simulator.seed_sms_history(...)`` and ``POST /_simulator/seed`` (``{"platform",
"since", "until", "count"}``) call it. :func:`seed_call_history` does the same for NXCloud
voice calls (what ``getVoiceCdr`` lists): ``Simulator.seed_call_history(...)`` and the same
endpoint with ``"kind": "voice"``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from airflow_provider_nxcloud.testing.ledger import LedgerEntry

if TYPE_CHECKING:
    from airflow_provider_nxcloud.testing.state import SimulatorState

#: the platforms whose SMS history can be seeded
SEEDABLE = ("nxcloud", "fonedynamics")


def _hex(seed: int, index: int | str, length: int) -> str:
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


#: seeded calls' caller id and group-call audio
SEEDED_CALLER_ID = "6561234567"
SEEDED_AUDIO = "https://nxcloudhk.oss-cn-hongkong.aliyuncs.com/voice_group/seeded.mp3"


def seed_call_history(state: SimulatorState, since: float, until: float, count: int) -> int:
    """File ``count`` NXCloud voice calls started between ``since`` (inclusive) and ``until``
    (exclusive), epoch seconds on the progress clock, evenly spaced; returns ``count``.

    Alternately a notification (``notsend``, voiceType 1) and a group call (``gpsend``,
    voiceType 0), each one number of its own request, filed as the voice send handler files a
    call: ``getVoiceCdr`` lists it once it has ended. One number in ten thousand is unanswered
    under the default delivery model. Message ids derive from the simulator's seed, ``since``
    and the call's position: periods seeded one after another file distinct ids, apart from
    the seeded SMS ids.
    """
    from airflow_provider_nxcloud.testing.nxcloud import file_call

    if count < 0 or until <= since:
        raise ValueError(f"need count >= 0 and until > since, not {count}, {since}..{until}")
    app = state.accounts.nxcloud.voice_app_key
    step = (until - since) / max(count, 1)
    for index in range(count):
        moment = float(int(since + index * step))
        recipient = f"6581{index:06d}"
        group_call = index % 2 == 1
        endpoint = "voice_broadcast" if group_call else "voice_notify"
        file_call(
            state,
            LedgerEntry(
                platform="nxcloud",
                kind="voice",
                account=app,
                app=app,
                recipient=recipient,
                content=SEEDED_AUDIO if group_call else f"Seeded call {index}",
                vendor_id=_hex(state.seed, f"voice:{since}:{index}", 32),
                client_reference=None,
                endpoint=endpoint,
                time=moment,
                status="pending",
                sender=SEEDED_CALLER_ID,
                timeline=state.delivery.sms_timeline(recipient, moment),
                details={
                    "mode": "broadcast" if group_call else "notification",
                    "voice_type": 0 if group_call else 1,
                    "country_code": "65",
                    "phone": recipient[2:],
                    "starts_at": moment,
                    **({} if group_call else {"lang": "en"}),
                },
            ),
        )
    return count
