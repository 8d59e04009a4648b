"""A task's share of the vendor account's ``max_qps`` and ``max_concurrency``.

A connection's ``max_qps`` and ``max_concurrency`` are the account's limits, whatever
number of tasks use the connection at once (mapped task instances, concurrent DAG
runs, any executor). How they are shared depends on what the connection names:

1. ``rate_limit_store`` (a Redis URL): every request start, in every process, takes a
   slot from one moving window in Redis (``hooks/rate_limit.py``), so the account's
   requests never pass ``max_qps`` and a task running alone still gets all of it.
   Sends in flight cannot be counted there without leases no maintained library
   offers, so ``max_concurrency`` is shared statically as in 2 (with ``rate_pool``) or
   3 (without). A store that fails sends nothing: the task retries.
2. ``rate_pool`` and ``rate_pool_slots`` (an Airflow pool and its size): a task using
   the connection must run in that pool, and gets
   ``max_qps * pool_slots / rate_pool_slots`` and
   ``floor(max_concurrency * pool_slots / rate_pool_slots)`` (at least one send: a
   share below one is refused). The pool admits at most ``rate_pool_slots`` slots at
   once, so the shares never add up to more than the account's limits.
3. Neither: each task has the whole budget as before, except that the instances of a
   mapped task divide it by their number (``expanded_ti_count``). Concurrent DAG runs
   are not covered (a warning says so once per process).

:func:`apply_rate_budget` is the one place a share is applied; every operator that
sends calls it at the start of ``execute()``, before its first request.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.rate_limit import STORE_EXTRA

if TYPE_CHECKING:
    from airflow_provider_nxcloud.hooks.base import ConnectionSettings, CPaaSHook

log = logging.getLogger(__name__)

#: connections already warned about in this process (mode 3)
_WARNED: set[str] = set()


class BudgetedTask(Protocol):
    """What :func:`apply_rate_budget` reads from an operator: its hook and its Airflow pool."""

    @property
    def hook(self) -> CPaaSHook: ...

    pool: str
    pool_slots: int


@dataclass(frozen=True)
class RateShare:
    """A task's share: requests per second (None: no cap) and sends in flight, and why."""

    max_qps: float | None
    max_concurrency: int
    how: str


def rate_share(
    settings: ConnectionSettings, *, pool: str | None, pool_slots: int, mapped_instances: int | None
) -> RateShare:
    """The share of a task that runs in ``pool`` with ``pool_slots``, one of ``mapped_instances``.

    Raises :class:`InvalidInputError` naming ``pool`` or ``pool_slots`` when the task cannot
    run within the connection's rate pool; nothing has been sent then.
    """
    qps, concurrency = settings.transport.max_qps, settings.transport.max_concurrency
    shared = bool(settings.transport.rate_limit_store)
    rate_pool = settings.extras.get("rate_pool")
    if rate_pool:
        fraction = _pool_fraction(settings, rate_pool, pool, pool_slots)
        share = concurrency * fraction
        if share < 1:
            raise InvalidInputError(
                "pool_slots",
                f"gives this task {fraction:.4g} of connection {settings.conn_id!r}'s max_concurrency "
                f"{concurrency}, less than one send: give it at least "
                f"{math.ceil(int(settings.extras['rate_pool_slots']) / concurrency)} pool slots, or make "
                "the rate pool smaller (rate_pool_slots and the pool itself)",
            )
        how = f"pool {rate_pool!r}: {pool_slots} of {int(settings.extras['rate_pool_slots'])} slots"
        if shared:
            return RateShare(
                qps, math.floor(share), f"{how} (sends in flight); max_qps shared in {STORE_EXTRA}"
            )
        return RateShare(qps * fraction if qps else None, math.floor(share), how)
    instances = mapped_instances if mapped_instances and mapped_instances > 1 else 1
    if shared:
        how = f"max_qps shared in {STORE_EXTRA}"
        if instances > 1:
            how += f"; sends in flight divided among {instances} mapped instances"
        return RateShare(qps, max(1, concurrency // instances), how)
    if instances == 1:
        return RateShare(qps, concurrency, "the whole budget (one task)")
    return RateShare(
        qps / instances if qps else None,
        max(1, concurrency // instances),
        f"divided among {instances} mapped instances",
    )


def _pool_fraction(settings: ConnectionSettings, rate_pool: str, pool: str | None, pool_slots: int) -> float:
    slots = int(settings.extras["rate_pool_slots"])
    if pool != rate_pool:
        raise InvalidInputError(
            "pool",
            f"must be {rate_pool!r}: connection {settings.conn_id!r} shares the account's max_qps and "
            f"max_concurrency through that pool (its extra rate_pool), and this task runs in {pool!r}",
        )
    if isinstance(pool_slots, bool) or not isinstance(pool_slots, int) or not 1 <= pool_slots <= slots:
        raise InvalidInputError(
            "pool_slots",
            f"must be a whole number from 1 to {slots} (connection {settings.conn_id!r}'s rate_pool_slots), "
            f"not {pool_slots!r}",
        )
    return pool_slots / slots


def apply_rate_budget(task: BudgetedTask, context: Mapping[str, Any]) -> RateShare:
    """Narrow ``task.hook`` to the task's share of the account's budget, before its first request.

    ``context`` is the task's Airflow context (``expanded_ti_count`` says how many
    instances a mapped task has). Raises :class:`InvalidInputError` naming ``pool`` or
    ``pool_slots`` when the task does not run in the connection's rate pool.
    """
    hook = task.hook
    settings = hook.settings
    mapped = context.get("expanded_ti_count")
    share = rate_share(
        settings,
        pool=task.pool,
        pool_slots=task.pool_slots,
        mapped_instances=mapped if isinstance(mapped, int) else None,
    )
    transport = settings.transport
    if (share.max_qps, share.max_concurrency) != (transport.max_qps, transport.max_concurrency):
        hook.narrow_budget(max_qps=share.max_qps, max_concurrency=share.max_concurrency)
    if share.max_qps is not None or share.max_concurrency > 1:
        log.info(
            "%s: this task's share of the account's budget: max_qps %s of %s, max_concurrency %d of %d (%s)",
            settings.conn_id,
            _number(share.max_qps),
            _number(transport.max_qps),
            share.max_concurrency,
            transport.max_concurrency,
            share.how,
        )
    if not transport.rate_limit_store and not settings.extras.get("rate_pool") and transport.max_qps:
        _warn_once(settings.conn_id)
    return share


def _warn_once(conn_id: str) -> None:
    if conn_id in _WARNED:
        return
    _WARNED.add(conn_id)
    log.warning(
        "%s: max_qps and max_concurrency are shared only among the instances of one mapped task; "
        "tasks of other DAG runs or DAGs using this connection at the same time add to the account's "
        "rate. Set the connection extra %s (a Redis URL) or rate_pool and rate_pool_slots (an Airflow "
        "pool) to cap the account as a whole.",
        conn_id,
        STORE_EXTRA,
    )


def _number(value: float | None) -> str:
    return "no cap" if value is None else f"{value:g}"
