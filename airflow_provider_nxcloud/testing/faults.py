"""Seeded, reproducible fault injection.

A :class:`FaultPlan` decides, for every request to a vendor path (never for
``/_simulator/``), whether it meets a fault and which one. Three layers, the
first that matches wins:

1. ``at``: exact request numbers, ``{3: "http_503"}`` = the 3rd vendor request
   after the plan was set gets HTTP 503;
2. ``rules``: "the next ``count`` requests to this platform/endpoint get this
   kind", consumed in order;
3. ``rate``: every request meets a fault with this probability, the kind drawn
   by ``weights`` (all kinds equally by default), from a ``random.Random(seed)``.

A ``vendor_code`` rule (:meth:`Faults.next_code`) answers a code the test names,
so any catalog code can be produced on any endpoint; it is never drawn at random.

Every request consumes exactly two random numbers whatever happens, so the
same seed gives the same fault at the same request number, even when exact
rules fire in between. A kind that does not apply to an endpoint (there is no
timestamp to expire on Fone Dynamics, no documented rate-limit code for the
NXCloud number-check query) is not injected, and not counted.
"""

from __future__ import annotations

import enum
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any


class FaultKind(str, enum.Enum):
    #: HTTP 500 without processing the request
    HTTP_500 = "http_500"
    #: HTTP 502 without processing the request
    HTTP_502 = "http_502"
    #: HTTP 503 (with ``Retry-After: 1``) without processing the request
    HTTP_503 = "http_503"
    #: HTTP 429 (with ``Retry-After: 1``) without processing the request
    HTTP_429 = "http_429"
    #: the platform's own rate-limit code (Buka -15, NXCloud SMS 28; Fone Dynamics HTTP 429)
    VENDOR_RATE_LIMIT = "vendor_rate_limit"
    #: the platform's "busy / system error" code (Buka -18, NXCloud SMS 99; Fone Dynamics HTTP 503)
    VENDOR_BUSY = "vendor_busy"
    #: the service's timestamp-expired code (NXCloud 1004; Buka -16, email -6, AI voice -4)
    TIMESTAMP_EXPIRED = "timestamp_expired"
    #: the request is processed normally after ``latency_ms``
    LATENCY = "latency"
    #: the connection is dropped before the request is processed: nothing happens
    RESET_BEFORE = "reset_before"
    #: the request is processed (and recorded), then the connection is dropped without a reply
    RESET_AFTER = "reset_after"
    #: the code given with the rule (:meth:`Faults.next_code`), answered as the platform answers it on
    #: that endpoint, without processing the request; only from rules: it needs a code
    VENDOR_CODE = "vendor_code"
    #: the request is processed (and recorded), then a gateway answers HTTP 503 (with
    #: ``Retry-After: 1``) instead of the vendor's reply: the gateway error after forwarding
    HTTP_503_AFTER = "http_503_after"

    def __str__(self) -> str:
        return self.value


#: the kinds a random fault is drawn from (``vendor_code`` needs a code, so only rules inject it)
ALL_KINDS: tuple[FaultKind, ...] = tuple(kind for kind in FaultKind if kind is not FaultKind.VENDOR_CODE)
HTTP_STATUS_OF: dict[FaultKind, int] = {
    FaultKind.HTTP_500: 500,
    FaultKind.HTTP_502: 502,
    FaultKind.HTTP_503: 503,
    FaultKind.HTTP_429: 429,
}


def fault_kind(value: FaultKind | str) -> FaultKind:
    try:
        return FaultKind(value)
    except ValueError:
        known = ", ".join(k.value for k in FaultKind)
        raise ValueError(f"unknown fault kind {value!r}; known: {known}") from None


@dataclass
class FaultRule:
    """The next ``count`` requests that match get ``kind``; ``None`` matches any platform/endpoint.

    ``endpoint`` is the endpoint's name in the ``platforms`` tables (``sms_send``,
    ``number_check_query``, ``send_message``, ...); names repeat across platforms
    (``balance``), so give ``platform`` too when it matters.
    """

    kind: FaultKind
    count: int = 1
    platform: str | None = None
    endpoint: str | None = None
    #: the vendor code a ``vendor_code`` rule answers (a catalog code, an HTTP status, or any other)
    code: str | None = None

    def __post_init__(self) -> None:
        self.kind = fault_kind(self.kind)
        if self.count < 1:
            raise ValueError(f"a fault rule needs count >= 1, not {self.count}")
        if self.code is not None:
            self.code = str(self.code).strip()
        if (self.kind is FaultKind.VENDOR_CODE) != bool(self.code):
            raise ValueError("a vendor_code rule needs a code, and only a vendor_code rule takes one")

    def matches(self, platform: str, endpoint: str) -> bool:
        return (self.platform is None or self.platform == platform) and (
            self.endpoint is None or self.endpoint == endpoint
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "count": self.count,
            "platform": self.platform,
            "endpoint": self.endpoint,
        }
        if self.code is not None:
            data["code"] = self.code
        return data


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong, reproducibly. The default plan injects nothing."""

    seed: int = 0
    #: probability that a vendor request meets a random fault
    rate: float = 0.0
    #: relative weight of each kind among random faults; None = all kinds equally
    weights: Mapping[FaultKind, float] | None = None
    rules: tuple[FaultRule, ...] = ()
    #: request number (1-based, counted since the plan was set) -> kind
    at: Mapping[int, FaultKind] = field(default_factory=dict)
    #: delay added by the ``latency`` kind
    latency_ms: int = 500

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, not {self.rate}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, not {self.latency_ms}")
        if self.weights is not None:
            weights = {fault_kind(k): float(v) for k, v in self.weights.items()}
            if any(v < 0 for v in weights.values()) or not any(v > 0 for v in weights.values()):
                raise ValueError("fault weights must be >= 0 and at least one > 0")
            if weights.get(FaultKind.VENDOR_CODE):
                raise ValueError("vendor_code needs a code: inject it with a rule, not by weight")
            object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "at", {int(n): fault_kind(k) for n, k in self.at.items()})
        if FaultKind.VENDOR_CODE in self.at.values():
            raise ValueError("vendor_code needs a code: inject it with a rule, not by request number")
        object.__setattr__(self, "rules", tuple(self.rules))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultPlan:
        """The plan from its JSON form (``POST /_simulator/faults``)."""
        known = {"seed", "rate", "weights", "rules", "at", "latency_ms"}
        unknown = set(data) - known - {"mode"}
        if unknown:
            raise ValueError(f"unknown fault plan fields: {', '.join(sorted(unknown))}")
        rules = tuple(
            FaultRule(
                kind=fault_kind(rule["kind"]),
                count=int(rule.get("count", 1)),
                platform=rule.get("platform"),
                endpoint=rule.get("endpoint"),
                code=rule.get("code"),
            )
            for rule in data.get("rules") or ()
        )
        weights = data.get("weights")
        return cls(
            seed=int(data.get("seed", 0)),
            rate=float(data.get("rate", 0.0)),
            weights={fault_kind(k): float(v) for k, v in weights.items()} if weights else None,
            rules=rules,
            at={int(n): fault_kind(k) for n, k in (data.get("at") or {}).items()},
            latency_ms=int(data.get("latency_ms", 500)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "rate": self.rate,
            "weights": {k.value: v for k, v in self.weights.items()} if self.weights else None,
            "rules": [rule.to_json() for rule in self.rules],
            "at": {str(n): k.value for n, k in sorted(self.at.items())},
            "latency_ms": self.latency_ms,
        }


def parse_weights(text: str) -> dict[FaultKind, float]:
    """``"http_503=2,reset_after=1"`` -> weights (the CLI's ``--fault-weights``)."""
    weights: dict[FaultKind, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"fault weight {part!r} is not kind=weight")
        weights[fault_kind(name.strip())] = float(value)
    return weights


@dataclass(frozen=True)
class InjectedFault:
    """One fault that was injected: which request met which kind."""

    request_number: int
    platform: str
    endpoint: str
    kind: FaultKind
    #: the code answered, for ``vendor_code``
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "request_number": self.request_number,
            "platform": self.platform,
            "endpoint": self.endpoint,
            "kind": self.kind.value,
        }
        if self.code is not None:
            data["code"] = self.code
        return data


class Faults:
    """The live fault controller: the current plan, its random stream, and what was injected."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self._initial = plan or FaultPlan()
        self._carried: Counter[FaultKind] = Counter()
        self._install(self._initial)

    def _install(self, plan: FaultPlan) -> None:
        self._plan = plan
        self._rng = random.Random(plan.seed)
        # rules are consumed; keep private copies so the plan itself stays as given
        self._rules = [replace(rule) for rule in plan.rules]
        self._request_number = 0
        self._history: list[InjectedFault] = []

    # ----- configuration --------------------------------------------------------------

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def set(
        self,
        plan: FaultPlan | None = None,
        *,
        seed: int | None = None,
        rate: float | None = None,
        weights: Mapping[FaultKind | str, float] | None = None,
        rules: Iterable[FaultRule] | None = None,
        at: Mapping[int, FaultKind | str] | None = None,
        latency_ms: int | None = None,
    ) -> FaultPlan:
        """Replace the plan: a given ``plan``, or the default plan with the fields given.

        Request numbers count again from 1 and the random stream restarts from
        the seed; the counts of injected faults are kept until :meth:`reset`.
        """
        if plan is None:
            base = FaultPlan()
            plan = FaultPlan(
                seed=base.seed if seed is None else seed,
                rate=base.rate if rate is None else rate,
                weights={fault_kind(k): v for k, v in weights.items()} if weights else None,
                rules=tuple(rules or ()),
                at={n: fault_kind(k) for n, k in (at or {}).items()},
                latency_ms=base.latency_ms if latency_ms is None else latency_ms,
            )
        with self._lock:
            counts = self._counts_locked()
            self._install(plan)
            self._carried = counts
        return plan

    def next(
        self,
        kind: FaultKind | str,
        count: int = 1,
        *,
        endpoint: str | None = None,
        platform: str | None = None,
    ) -> None:
        """Add a rule to the current plan: the next ``count`` matching requests get ``kind``."""
        self.add(FaultRule(fault_kind(kind), count, platform, endpoint))

    def add(self, rule: FaultRule) -> None:
        """Add ``rule`` to the current plan, after the rules already waiting."""
        with self._lock:
            self._rules.append(replace(rule))
            self._plan = replace(self._plan, rules=(*self._plan.rules, replace(rule)))

    def next_code(
        self,
        code: int | str,
        count: int = 1,
        *,
        endpoint: str | None = None,
        platform: str | None = None,
    ) -> None:
        """The next ``count`` matching requests are answered with the vendor code ``code``, unprocessed.

        The platform answers it as it would on that endpoint: a code of the endpoint's service
        (or its fallback) in the service's envelope; an HTTP status of the platform's ``http``
        catalog (Buka, NXCloud) from the gateway; on Fone Dynamics an ErrorCode with its HTTP
        status, or a bare HTTP status. Any other code is sent in the envelope as given, so a
        client's handling of codes its catalog lacks can be tested too.
        """
        self.add(FaultRule(FaultKind.VENDOR_CODE, count, platform, endpoint, str(code)))

    def clear(self) -> None:
        """No faults from now on (injected counts are kept until :meth:`reset`)."""
        self.set(FaultPlan())

    def reset(self) -> None:
        """Back to the plan the simulator was started with; counts and history cleared."""
        with self._lock:
            self._install(self._initial)
            self._carried = Counter()

    # ----- the decision ---------------------------------------------------------------

    def draw(
        self, platform: str, endpoint: str, applies: Callable[[FaultKind], bool] = lambda kind: True
    ) -> FaultKind | None:
        """The kind of fault for the next vendor request, or None. See :meth:`draw_fault`."""
        fault = self.draw_fault(platform, endpoint, applies)
        return None if fault is None else fault.kind

    def draw_fault(
        self, platform: str, endpoint: str, applies: Callable[[FaultKind], bool] = lambda kind: True
    ) -> InjectedFault | None:
        """The fault for the next vendor request (with its code), or None. Called once per vendor request."""
        with self._lock:
            self._request_number += 1
            number = self._request_number
            plan = self._plan
            # two draws per request, always: the random stream does not depend on rules
            chance = self._rng.random()
            pick = self._rng.random()
            decided = self._decide(plan, number, platform, endpoint, chance, pick, applies)
            if decided is None:
                return None
            kind, code = decided
            fault = InjectedFault(number, platform, endpoint, kind, code)
            self._history.append(fault)
            return fault

    def _decide(
        self,
        plan: FaultPlan,
        number: int,
        platform: str,
        endpoint: str,
        chance: float,
        pick: float,
        applies: Callable[[FaultKind], bool],
    ) -> tuple[FaultKind, str | None] | None:
        if number in plan.at:
            kind = plan.at[number]
            return (kind, None) if applies(kind) else None
        for rule in self._rules:
            if rule.count > 0 and rule.matches(platform, endpoint) and applies(rule.kind):
                rule.count -= 1
                return rule.kind, rule.code
        if plan.rate > 0 and chance < plan.rate:
            kind = _weighted(plan.weights, pick)
            return (kind, None) if applies(kind) else None
        return None

    # ----- what happened --------------------------------------------------------------

    def _counts_locked(self) -> Counter[FaultKind]:
        counts = Counter(self._carried)
        counts.update(fault.kind for fault in self._history)
        return counts

    def counts(self) -> dict[str, int]:
        """Injected faults by kind since start or the last reset."""
        with self._lock:
            return {kind.value: n for kind, n in sorted(self._counts_locked().items()) if n}

    def history(self) -> list[InjectedFault]:
        """The faults injected under the current plan, in request order."""
        with self._lock:
            return list(self._history)

    @property
    def request_number(self) -> int:
        """How many vendor requests the current plan has seen."""
        return self._request_number

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            remaining = [rule.to_json() for rule in self._rules if rule.count > 0]
            return {
                "plan": self._plan.to_json(),
                "remaining_rules": remaining,
                "request_number": self._request_number,
                "counts": {k.value: n for k, n in sorted(self._counts_locked().items()) if n},
                "history": [fault.to_json() for fault in self._history],
            }


def _weighted(weights: Mapping[FaultKind, float] | None, pick: float) -> FaultKind:
    if not weights:
        return ALL_KINDS[min(int(pick * len(ALL_KINDS)), len(ALL_KINDS) - 1)]
    total = sum(weights.values())
    target = pick * total
    running = 0.0
    chosen = None
    for kind in ALL_KINDS:  # a fixed order keeps the pick independent of dict order
        weight = weights.get(kind, 0.0)
        if weight <= 0:
            continue
        chosen = kind
        running += weight
        if target < running:
            return kind
    assert chosen is not None
    return chosen
