"""Seed the simulator with a period of message history, fast: what the record exports read.

A month of records sent one request at a time would take minutes; an export test needs
them in a second. :func:`seed_sms_history` files ``count`` SMS in the ledger directly,
spread evenly over ``[since, until)``, each exactly as the platform's own send handler
files one (same kind, account, app, vendor id shape and delivery timeline), so the record
queries (NXCloud ``getSmsCdr``, Fone Dynamics find SMS) answer them with the same rows a
sent message gets. Nothing here bypasses a contract: only the sends are skipped.

``Simulator.seed_sms_history(...)`` and ``POST /_simulator/seed`` (``{"platform",
"since", "until", "count"}``) call it. :func:`seed_voice_history` files a period of ended Buka
group/OTP calls the same way (what ``voice/recordGroupQuery`` lists):
``Simulator.seed_voice_history(...)`` and ``POST /_simulator/seed/voice`` (``{"since",
"until", "count"}``). :func:`seed_email_history` files Buka emails the same
way (what ``getSendEmailRcd`` answers), and :func:`email_results_lines` writes the results
lines a Buka email send task would have written for them (the ids the email export reads);
``Simulator.seed_email_history(...)`` and ``POST /_simulator/seed/email`` (``{"since", "until",
"count"}``) call it. :func:`seed_call_history` does the same for NXCloud
voice calls (what ``getVoiceCdr`` lists): ``Simulator.seed_call_history(...)`` and
``POST /_simulator/seed`` with ``"kind": "voice"``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from airflow_provider_nxcloud.testing.buka import (
    CALL_CENTER_KIND,
    CALL_CENTER_NUMBER,
    DEFAULT_EMAIL_SENDER,
    SEEDED_DIAL_S,
    SEEDED_RING_TIMEOUT_S,
    SEEDED_TALK_S,
    UNDELIVERABLE_EMAIL_DOMAIN_SUFFIX,
)
from airflow_provider_nxcloud.testing.ledger import LedgerEntry

if TYPE_CHECKING:
    from airflow_provider_nxcloud.testing.state import SimulatorState

#: the platforms whose SMS history can be seeded
SEEDABLE = ("nxcloud", "fonedynamics", "buka")


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
        elif platform == "buka":
            # a Buka msgId is 19 digits (the send handler's ids.digits(19))
            recipient, vendor_id = f"6590{index:07d}", f"{int(_hex(state.seed, index, 16), 16) % 10**19:019d}"
            account, app, endpoint = accounts.buka.api_key, accounts.buka.app_id, "sms_send"
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


# ----- Buka group/OTP calls (what ``voice/recordGroupQuery`` lists) ------------------------------

#: how seeded calls end: (share in 100, SIP terminationCode, terminationReason, rings to the timeout).
#: Answered about six calls in ten; the rest no answer, busy, cancelled, declined, unknown number
SEEDED_CALL_ENDINGS = (
    (62, "200", "Normal call clearing", False),
    (18, "480", "No answer", True),
    (8, "486", "User busy", False),
    (5, "487", "Request terminated", True),
    (4, "603", "Call rejected", False),
    (3, "404", "Unallocated number", False),
)
#: per-minute rates in euro and billing periods of the two ways a call is placed
SEEDED_CALL_BILLING = {"audio": ("0.0300", "60+60"), "tts": ("0.0420", "20+20")}
SEEDED_CALL_AREA = "Singapore(SingTel)"


def _draw(seed: int, index: int, salt: str, low: int, high: int) -> int:
    """A whole number in ``[low, high]`` fixed by the simulator's seed, the entry and ``salt``."""
    digest = hashlib.blake2b(f"{seed}:{index}:{salt}".encode(), digest_size=8).digest()
    return low + int.from_bytes(digest, "big") % (high - low + 1)


def _ending(share: int) -> tuple[int, str, str, bool]:
    """The row of :data:`SEEDED_CALL_ENDINGS` a share in 100 falls in."""
    for ending in SEEDED_CALL_ENDINGS:
        if share < ending[0]:
            return ending
        share -= ending[0]
    return SEEDED_CALL_ENDINGS[-1]


def seeded_call(seed: int, index: int) -> dict[str, Any]:
    """How the ``index``-th seeded call went: its SIP ending, dial, ring and talk seconds,
    billing, and the key pressed (the details a Buka call record is written from)."""
    _, code, reason, rings_out = _ending(_draw(seed, index, "ending", 0, 99))
    mode = "audio" if index % 3 else "tts"
    answered = code == "200"
    ring = SEEDED_RING_TIMEOUT_S if rings_out else _draw(seed, index, "ring", 3, 25) if answered else 0
    if code in ("486", "603"):
        ring = _draw(seed, index, "ring", 0, 8)
    rate, period = SEEDED_CALL_BILLING[mode]
    return {
        "mode": mode,
        "sip": code,
        "reason": reason,
        "dial_s": _draw(seed, index, "dial", *SEEDED_DIAL_S),
        "ring_s": ring,
        "talk_s": _draw(seed, index, "talk", *SEEDED_TALK_S) if answered else 0,
        "rate": rate,
        "bill_period": period,
        "feedback": str(_draw(seed, index, "key", 0, 9)) if answered and index % 4 == 0 else "-1",
        "area": SEEDED_CALL_AREA,
    }


def seed_voice_history(state: SimulatorState, since: float, until: float, count: int) -> int:
    """File ``count`` Buka group/OTP calls placed between ``since`` (inclusive) and ``until``
    (exclusive), epoch seconds on the progress clock, evenly spaced; returns ``count``.

    Each call is one ledger entry of kind "voice", as voice/sendGroup (an audio file, two calls
    in three) or voice/sendCode (text to speech) files one, to a distinct number, on the
    account's voice app, numbered on from the calls already filed. How it went is drawn from the simulator's seed (:func:`seeded_call`):
    about 62% answered and talked 4-240 s, the others rang out, were busy, cancelled, declined
    or dialled an unknown number; the call ends (its record is written) when it hangs up, at
    most :data:`SEEDED_LONGEST_CALL_S` after it was placed. A reset simulator seeded alike
    files alike.
    """
    from airflow_provider_nxcloud.testing.progress import DELIVERED, PENDING, UNDELIVERED

    if count < 0 or until <= since:
        raise ValueError(f"need count >= 0 and until > since, not {count}, {since}..{until}")
    account = state.accounts.buka
    step = (until - since) / max(count, 1)
    # numbered after the calls already filed, so seeding again adds calls and never repeats an id
    first = state.ledger.count("buka", "voice")
    for position in range(count):
        moment = float(int(since + position * step))
        index = first + position
        details = seeded_call(state.seed, index)
        ended_at = moment + details["dial_s"] + details["ring_s"] + details["talk_s"]
        final = DELIVERED if details["sip"] == "200" else UNDELIVERED
        audio = details["mode"] == "audio"
        state.ledger.add(
            LedgerEntry(
                platform="buka",
                kind="voice",
                account=account.api_key,
                app=account.voice_app_id,
                recipient=f"6598{index:07d}",
                content=f"seeded-{_hex(state.seed, index, 8)}.mp3" if audio else f"Seeded call {index}",
                vendor_id=f"2{state.seed % 1000:03d}{index:015d}",
                client_reference=None,
                endpoint="voice_send_group" if audio else "voice_send_code",
                time=moment,
                status="pending",
                sender="6531000000",
                timeline=((moment, PENDING), (ended_at, final)),
                details=details,
            )
        )
    return count


def seed_email_history(state: SimulatorState, since: float, until: float, count: int) -> int:
    """File ``count`` Buka emails accepted between ``since`` (inclusive) and ``until`` (exclusive),
    evenly spaced, each as ``email/sendEmail`` files one; returns ``count``.

    Each address is distinct; one in ten thousand (``user0000000@bounce.invalid``, every
    10,000th) fails, as the send handler's ``.invalid`` domains do; the others are sent once the
    delivery delay has passed. Email ids (32 hex digits) derive from the simulator's seed.
    """
    from airflow_provider_nxcloud.testing.progress import DELIVERED, PENDING, UNDELIVERED

    if count < 0 or until <= since:
        raise ValueError(f"need count >= 0 and until > since, not {count}, {since}..{until}")
    account = state.accounts.buka
    step = (until - since) / max(count, 1)
    delay = state.delivery.delay
    for index in range(count):
        moment = float(int(since + index * step))
        failing = index % 10_000 == 0
        domain = f"bounce{UNDELIVERABLE_EMAIL_DOMAIN_SUFFIX}" if failing else "example.com"
        state.ledger.add(
            LedgerEntry(
                platform="buka",
                kind="email",
                account=account.api_key,
                app=account.email_app_id,
                recipient=f"user{index:07d}@{domain}",
                content=f"Seeded email {index}",
                vendor_id=_hex(state.seed ^ 0x5EED, index, 32),
                client_reference=None,
                endpoint="email_send",
                time=moment,
                status="pending",
                sender=DEFAULT_EMAIL_SENDER,
                timeline=((moment, PENDING), (moment + delay, UNDELIVERED if failing else DELIVERED)),
                details={"templateID": "1", "templateData": None},
            )
        )
    return count


def email_results_lines(entries: Iterable[LedgerEntry], batch_size: int = 50) -> Iterator[str]:
    """The results lines (with their newlines) a Buka email send task writes for ``entries``:
    batches of 50 addresses, each ``accepted`` with its emailId, recorded at its send second."""
    from airflow_provider_nxcloud.campaign.results import RecipientResult, result_line, utc_seconds

    for position, entry in enumerate(entries):
        result = RecipientResult(entry.recipient, "accepted", entry.vendor_id)
        yield result_line(position // batch_size + 1, result, utc_seconds(entry.time)) + "\n"


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
