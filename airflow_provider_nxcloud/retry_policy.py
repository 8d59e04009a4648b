"""A ready Airflow retry policy (Airflow 3.3+, AIP-105) built from the provider's errors and code catalogs.

Give it to any task that calls the provider, most of all your own ``@task`` or
``PythonOperator`` code that uses the hooks directly::

    from airflow_provider_nxcloud.retry_policy import RETRY_POLICY

    @task(retries=3, retry_policy=RETRY_POLICY)
    def send_alert(): ...

What it decides, from the first provider error found in the exception or the
exceptions it was raised from (``__cause__``, ``__context__``):

* a permanent vendor error, invalid input or connection, a send whose reply was
  lost, a campaign batch in doubt: FAIL now, no retry burned;
* a retryable vendor error: RETRY after a delay chosen by the code's
  :class:`~airflow_provider_nxcloud.platforms.codes.Reason` (rate limits wait
  longest), growing with the try number, capped, and never shorter than the
  vendor's ``Retry-After``;
* a create in doubt, a delivery wait that could not read reports, a dropped
  connection: RETRY soon;
* anything else: DEFAULT, Airflow's own ``retries`` and ``retry_delay``.

A policy never adds tries beyond ``retries``. ``AirflowFailException`` (which the
provider's operators raise for permanent errors) bypasses every policy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import requests

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    BatchInDoubtError,
    CreateInDoubtError,
    DeliveryWaitError,
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
    VendorAPIError,
)
from airflow_provider_nxcloud.overrides import override_for, parse_overrides
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import CodeInfo, Disposition, Reason
from airflow_provider_nxcloud.version_compat import HAS_RETRY_POLICY

if not HAS_RETRY_POLICY:
    from airflow import __version__ as _airflow_version

    raise ImportError(
        "airflow_provider_nxcloud.retry_policy needs Apache Airflow 3.3 or later (pluggable retry "
        f"policies, AIP-105); this is Airflow {_airflow_version}. Without it, the provider's operators "
        "still fail permanent errors at once and leave retryable ones to the task's retries."
    )

# only after the version check: before 3.3 these names do not exist
from airflow.providers.common.compat.sdk import RetryAction, RetryDecision, RetryPolicy

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["BACKOFF_BY_REASON", "RETRY_POLICY", "Backoff", "NXCloudRetryPolicy"]


@dataclass(frozen=True)
class Backoff:
    """``first`` seconds before the second try, times ``factor`` for every further try, at most ``cap``."""

    first: float
    factor: float
    cap: float

    def seconds(self, try_number: int) -> float:
        # the exponent is bounded so that a task cleared many times cannot overflow a float
        exponent = min(max(try_number - 1, 0), 60)
        return float(min(self.cap, self.first * self.factor**exponent))


# ASSUMPTION: no vendor publishes how long a throttle lasts (Buka -15 "query too frequently",
# NXCloud SMS 28 per-app TPS, HTTP 429 without Retry-After) nor how long a platform fault
# lasts. A task retry repeats the whole task, after the hook has already retried what it
# safely could, so the waits start in seconds for faults and in a minute for throttles.
BACKOFF_BY_REASON: Mapping[Reason, Backoff] = {
    # a throttle clears when the caller slows down: wait long, and longer each time
    Reason.RATE_LIMITED: Backoff(first=60, factor=2, cap=15 * 60),
    # a concurrency limit clears when running work (a group-call task) finishes: minutes
    Reason.CONCURRENCY: Backoff(first=120, factor=2, cap=30 * 60),
    Reason.PLATFORM_FAULT: Backoff(first=15, factor=2, cap=5 * 60),
    Reason.UNAVAILABLE: Backoff(first=15, factor=2, cap=5 * 60),
    Reason.SERVER_ERROR: Backoff(first=15, factor=2, cap=5 * 60),
}
#: a retryable vendor error whose reason has no row: one the transport made up (connection
#: failed, unreadable reply) or a code an override turned from fail into retry
FALLBACK_BACKOFF = Backoff(first=15, factor=2, cap=5 * 60)
#: not a vendor reply: a create or a wait in doubt, a dropped connection
SHORT_BACKOFF = Backoff(first=5, factor=2, cap=60)
#: the longest ``Retry-After`` honoured; a vendor asking for more is waited for this long
RETRY_AFTER_CAP = 3600.0

#: connection-level failures of the two HTTP clients the provider (and most user code) uses
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    httpx.NetworkError,
    httpx.TimeoutException,
    ConnectionError,
)


@dataclass(frozen=True)
class _Rule:
    errors: tuple[type[BaseException], ...]
    action: RetryAction
    why: str
    backoff: Backoff | None = None


#: errors that are not judged by a vendor code; the first rule that matches decides
ERROR_RULES: tuple[_Rule, ...] = (
    _Rule(
        (AmbiguousSendError,),
        RetryAction.FAIL,
        "never re-sent blindly",
    ),
    _Rule((InvalidInputError,), RetryAction.FAIL, "fix the input or the connection; a retry repeats it"),
    _Rule(
        (BatchInDoubtError,),
        RetryAction.FAIL,
        "a batch may have been accepted and cannot be looked up; a person decides",
    ),
    _Rule(
        (CreateInDoubtError,),
        RetryAction.RETRY,
        "the next try looks the create up by the same key before creating",
        SHORT_BACKOFF,
    ),
    _Rule(
        (DeliveryWaitError,),
        RetryAction.RETRY,
        "the wait only reads; the next try reads the reports again",
        SHORT_BACKOFF,
    ),
    _Rule(NETWORK_ERRORS, RetryAction.RETRY, "the connection failed", SHORT_BACKOFF),
)

#: how many links of ``__cause__`` / ``__context__`` are searched for a provider error
_MAX_CHAIN = 16

#: a policy only decides whether Airflow tries again; "resign" (sign the request again) is the hook's
_OVERRIDABLE = (Disposition.RETRY, Disposition.FAIL)


class NXCloudRetryPolicy(RetryPolicy):
    """Retry or fail a task by what the provider knows about its error.

    :param overrides: ``{key: "retry" | "fail"}`` to change the decision for vendor codes,
        in the grammar of the operators' ``disposition_overrides``
        (:mod:`airflow_provider_nxcloud.overrides`): a key is ``"platform:service:code"``
        (``"buka:sms:-26"``), ``"service:code"`` or ``"code"``, the most specific key wins.
        A send whose reply was lost always fails: it is never re-sent blindly.
    :param max_delay: the longest wait between tries the backoff may choose (a
        ``timedelta`` or seconds); a vendor's ``Retry-After`` is still honoured when it
        asks for more. ``None``: the backoff table's own caps.
    """

    def __init__(
        self,
        *,
        overrides: Mapping[str | int, str] | None = None,
        max_delay: timedelta | float | None = None,
    ) -> None:
        self.overrides = parse_overrides(overrides, parameter="overrides", allowed=_OVERRIDABLE)
        self.max_delay = _parse_max_delay(max_delay)

    # ----- the decision ---------------------------------------------------------------

    def evaluate(
        self,
        exception: BaseException,
        try_number: int,
        max_tries: int,
        context: Context | None = None,
    ) -> RetryDecision:
        for error in causes(exception):
            decision = self._decide(error, try_number)
            if decision is not None:
                return decision
        return RetryDecision.default()

    def _decide(self, error: BaseException, try_number: int) -> RetryDecision | None:
        if isinstance(error, VendorAPIError) and not isinstance(error, AmbiguousSendError):
            return self._decide_vendor(error, try_number)
        for rule in ERROR_RULES:
            if isinstance(error, rule.errors):
                what = f"{type(error).__name__}: {_first_line(error)}"
                if rule.backoff is None:
                    return RetryDecision.fail(_clip(f"{what}: {rule.why}"))
                return self._retry(what, rule.why, rule.backoff, try_number, None)
        return None

    def _decide_vendor(self, error: VendorAPIError, try_number: int) -> RetryDecision:
        what = f"{error.platform}/{error.service} code {error.code} ({error.meaning}) on {error.endpoint}"
        row = _catalog_row(error)
        overridden = self._override(error)
        disposition = overridden or _disposition_of(error)
        if disposition is not Disposition.RETRY:
            if overridden:
                why = "overridden to fail"
            elif error.detail:
                why = error.detail
            elif row is not None:
                why = row.reason.why
            else:
                why = "a retry cannot help"
            return RetryDecision.fail(_clip(f"{what}: {why}"))
        reason = row.reason if row is not None else None
        backoff = BACKOFF_BY_REASON.get(reason, FALLBACK_BACKOFF) if reason is not None else FALLBACK_BACKOFF
        if overridden:
            why = "overridden to retry"
        else:
            why = reason.why if reason is not None else "a retryable error"
        retry_after = error.retry_after if isinstance(error, RetryableAPIError) else None
        return self._retry(what, why, backoff, try_number, retry_after)

    def _retry(
        self, what: str, why: str, backoff: Backoff, try_number: int, retry_after: float | None
    ) -> RetryDecision:
        seconds = backoff.seconds(try_number)
        if self.max_delay is not None:
            seconds = min(seconds, self.max_delay)
        wait = f"wait {seconds:g}s before the next try"
        if retry_after is not None and retry_after > seconds:
            seconds = min(retry_after, RETRY_AFTER_CAP)
            wait = f"wait {seconds:g}s as the vendor's Retry-After asks"
        return RetryDecision.retry(timedelta(seconds=seconds), _clip(f"{what}: {why}; {wait}"))

    def _override(self, error: VendorAPIError) -> Disposition | None:
        if error.code is None:
            return None
        return override_for(self.overrides, error.platform, error.service, error.code)

    # ----- serialisation (Airflow's RetryPolicy contract) -------------------------------

    def serialize(self) -> dict[str, Any]:
        return {
            "__type": type(self).__name__,
            "classpath": f"{type(self).__module__}.{type(self).__qualname__}",
            "overrides": {key: value.value for key, value in sorted(self.overrides.items())},
            "max_delay": self.max_delay,
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> NXCloudRetryPolicy:
        kind = data.get("__type", cls.__name__)
        if kind != cls.__name__:
            raise ValueError(f"not a serialised {cls.__name__}: __type is {kind!r}")
        return cls(overrides=data.get("overrides") or None, max_delay=data.get("max_delay"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NXCloudRetryPolicy):
            return NotImplemented
        return (self.overrides, self.max_delay) == (other.overrides, other.max_delay)

    def __hash__(self) -> int:
        return hash((frozenset(self.overrides.items()), self.max_delay))

    def __repr__(self) -> str:
        overrides = {key: value.value for key, value in self.overrides.items()}
        return f"{type(self).__name__}(overrides={overrides!r}, max_delay={self.max_delay!r})"


def causes(exception: BaseException) -> Iterator[BaseException]:
    """The exception, then the ones it was raised from or while handling, as a traceback lists them."""
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__suppress_context__:
            # ``raise ... from None``: the author said the earlier error does not matter
            current = None
        else:
            current = current.__context__


def _disposition_of(error: VendorAPIError) -> Disposition:
    if isinstance(error, RetryableAPIError):
        return Disposition.RETRY
    if isinstance(error, PermanentAPIError):
        return Disposition.FAIL
    return error.disposition


def _catalog_row(error: VendorAPIError) -> CodeInfo | None:
    if error.code is None:
        return None
    try:
        return lookup_code(error.platform, error.service, error.code)
    except KeyError:  # a platform or service without a catalog (a transport-made service name)
        return None


def _parse_max_delay(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
        raise InvalidInputError("max_delay", f"must be a timedelta or seconds >= 0, not {value!r}")
    return float(seconds)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"


def _clip(reason: str) -> str:
    # Airflow stores at most 500 characters of a reason on the task instance
    return reason if len(reason) <= 500 else reason[:497] + "..."


#: the policy with the catalog's decisions and the default backoff table
RETRY_POLICY = NXCloudRetryPolicy()
