"""Vendor result codes: what each one means and what a client should do about it.

Every catalog row names a :class:`Reason`, and the reason decides the
:class:`Disposition`. That keeps the judgement visible in the table itself: a
row reads "-15, query too frequently, RATE_LIMITED", and RATE_LIMITED says
why a retry is right. Rows are keyed by (platform, service, code) because the
same number means different things per service (Buka SMS -4 is "content
empty", Buka AI voice -4 is "timestamp expired").

No Airflow imports here: the simulator uses these tables too. Each platform's rows are in
``platforms/<vendor>_codes.py`` as plain tables; :mod:`.catalogs` merges them and looks codes up.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class Disposition(str, enum.Enum):
    """What a client should do with a code."""

    RETRY = "retry"
    RESIGN = "resign"
    FAIL = "fail"

    def __str__(self) -> str:
        return self.value


class Reason(enum.Enum):
    """Why a code gets its disposition.

    ``refused`` marks conditions in which the vendor provably did not accept
    the request, so even a send may be repeated at once: only a throttle (HTTP
    429, a rate-limit or concurrency code in the vendor's body) and a
    connection that was never made. ``maybe_processed`` marks failures after
    which a send may already have taken effect: every 5xx, since a gateway may
    answer any of them after it forwarded the request.
    """

    #: the vendor throttled the caller; the request was refused, not processed
    RATE_LIMITED = (Disposition.RETRY, True, False, "the vendor throttled the request; it was not processed")
    #: a concurrency or in-flight limit that clears when running work finishes
    CONCURRENCY = (Disposition.RETRY, True, False, "a concurrency limit that clears as running work finishes")
    #: the vendor reports a temporary fault of its own platform or a downstream
    PLATFORM_FAULT = (Disposition.RETRY, False, False, "a temporary fault on the vendor's side")
    #: HTTP 503: a gateway in front of the vendor may answer it after forwarding the request,
    #: so it proves nothing about a send (a read may be repeated, honouring Retry-After)
    UNAVAILABLE = (
        Disposition.RETRY,
        False,
        True,
        "the service answered unavailable; a read may be repeated, a send may have taken effect",
    )
    #: HTTP 500/502/504: the server failed while or after handling the request
    SERVER_ERROR = (
        Disposition.RETRY,
        False,
        True,
        "the server failed mid-request; a read may be repeated, a send may have taken effect",
    )
    #: the connection was never made (refused, DNS, TLS, connect timeout): nothing was sent
    NOT_CONNECTED = (
        Disposition.RETRY,
        True,
        False,
        "the connection was never made, so the request was not sent",
    )
    #: the request's timestamp is outside the vendor's window
    CLOCK = (
        Disposition.RESIGN,
        False,
        False,
        "timestamp outside the vendor's window; sign again with a fresh clock",
    )
    AUTH = (Disposition.FAIL, False, False, "credentials or signature are wrong; a retry sends the same ones")
    PERMISSION = (Disposition.FAIL, False, False, "the account lacks the permission or the product")
    ACCOUNT = (Disposition.FAIL, False, False, "the account or application is locked, disabled or unverified")
    BALANCE = (Disposition.FAIL, False, False, "not enough balance; someone has to top up first")
    CONFIGURATION = (Disposition.FAIL, False, False, "pricing, route, sender or template is not configured")
    INVALID_INPUT = (
        Disposition.FAIL,
        False,
        False,
        "the request itself is invalid; the same request fails again",
    )
    LIMIT_EXCEEDED = (Disposition.FAIL, False, False, "the request exceeds a documented size or count limit")
    QUOTA = (
        Disposition.FAIL,
        False,
        False,
        "a per-period quota is used up; it resets long after a task retry",
    )
    NOT_FOUND = (Disposition.FAIL, False, False, "the referenced object does not exist")
    DUPLICATE = (
        Disposition.FAIL,
        False,
        False,
        "the object or message already exists; repeating it cannot help",
    )
    STATE = (Disposition.FAIL, False, False, "the object is in a state that does not allow the operation")

    def __init__(self, disposition: Disposition, refused: bool, maybe_processed: bool, why: str) -> None:
        self.disposition = disposition
        self.refused = refused
        self.maybe_processed = maybe_processed
        self.why = why


@dataclass(frozen=True)
class CodeInfo:
    """One catalog row."""

    platform: str
    service: str
    code: str
    meaning: str
    reason: Reason

    @property
    def disposition(self) -> Disposition:
        return self.reason.disposition

    @property
    def refused(self) -> bool:
        """True when the vendor provably did not accept the request."""
        return self.reason.refused

    @property
    def maybe_processed(self) -> bool:
        """True when a send may have taken effect despite the error."""
        return self.reason.maybe_processed


#: (code, meaning, reason) as written in a platform's table module
Row = tuple[int | str, str, Reason]


@dataclass(frozen=True)
class ServiceCatalog:
    platform: str
    service: str
    codes: Mapping[str, CodeInfo]
    #: services consulted when a code is not in this one (NXCloud's common 1001-1005)
    falls_back_to: tuple[str, ...] = ()


def normalize_code(code: int | str) -> str:
    """Codes are compared as the vendor's text: ``-15``, ``"-15"`` and ``" -15 "`` are one code."""
    if isinstance(code, bool):
        raise TypeError("a vendor code cannot be a bool")
    return str(code).strip()


def service_catalog(
    platform: str, service: str, rows: Iterable[Row], *, falls_back_to: tuple[str, ...] = ()
) -> ServiceCatalog:
    """One service's catalog from its table rows (a code listed twice is an error)."""
    codes: dict[str, CodeInfo] = {}
    for code, meaning, reason in rows:
        key = normalize_code(code)
        if key in codes:
            raise ValueError(f"{platform}/{service}: code {key} appears twice in the catalog")
        codes[key] = CodeInfo(platform, service, key, meaning, reason)
    return ServiceCatalog(platform, service, codes, falls_back_to)


#: HTTP statuses for platforms whose business errors normally come as HTTP 200
#: with a code in the body (NXCloud, Buka). A non-200 status there comes from
#: the vendor's gateway, and its meaning is the HTTP one.
HTTP_STATUS_ROWS: tuple[Row, ...] = (
    (400, "Bad Request", Reason.INVALID_INPUT),
    (401, "Unauthorized", Reason.AUTH),
    (403, "Forbidden", Reason.PERMISSION),
    (404, "Not Found", Reason.NOT_FOUND),
    (405, "Method Not Allowed", Reason.INVALID_INPUT),
    (413, "Payload Too Large", Reason.LIMIT_EXCEEDED),
    (415, "Unsupported Media Type", Reason.INVALID_INPUT),
    (429, "Too Many Requests", Reason.RATE_LIMITED),
    (500, "Internal Server Error", Reason.SERVER_ERROR),
    (502, "Bad Gateway", Reason.SERVER_ERROR),
    (503, "Service Unavailable", Reason.UNAVAILABLE),
    (504, "Gateway Timeout", Reason.SERVER_ERROR),
)
