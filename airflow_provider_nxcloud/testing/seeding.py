"""Seed the simulator with a period of message history, fast: what the record exports read.

A month of records sent one request at a time would take minutes; an export test needs
them in a second. :func:`seed_sms_history` files ``count`` SMS in the ledger directly,
spread evenly over ``[since, until)``, each exactly as the platform's own send handler
files one (same kind, account, app, vendor id shape and delivery timeline), so the record
queries (NXCloud ``getSmsCdr``, Fone Dynamics find SMS) answer them with the same rows a
sent message gets. Nothing here bypasses a contract: only the sends are skipped.

``Simulator.seed_sms_history(...)`` and ``POST /_simulator/seed`` (``{"platform",
"since", "until", "count"}``) call it. :func:`seed_email_history` files Buka emails the same
way (what ``getSendEmailRcd`` answers), and :func:`email_results_lines` writes the results
lines a Buka email send task would have written for them (the ids the email export reads);
``Simulator.seed_email_history(...)`` and ``POST /_simulator/seed/email`` (``{"since", "until",
"count"}``) call it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from airflow_provider_nxcloud.testing.ledger import LedgerEntry

if TYPE_CHECKING:
    from airflow_provider_nxcloud.testing.state import SimulatorState

#: the platforms whose SMS history can be seeded
SEEDABLE = ("nxcloud", "fonedynamics", "buka")


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


def seed_email_history(state: SimulatorState, since: float, until: float, count: int) -> int:
    """File ``count`` Buka emails accepted between ``since`` (inclusive) and ``until`` (exclusive),
    evenly spaced, each as ``email/sendEmail`` files one; returns ``count``.

    Each address is distinct; one in ten thousand (``user0000000@bounce.invalid``, every
    10,000th) fails, as the send handler's ``.invalid`` domains do; the others are sent once the
    delivery delay has passed. Email ids (32 hex digits) derive from the simulator's seed.
    """
    from airflow_provider_nxcloud.testing.buka import (
        DEFAULT_EMAIL_SENDER,
        UNDELIVERABLE_EMAIL_DOMAIN_SUFFIX,
    )
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
