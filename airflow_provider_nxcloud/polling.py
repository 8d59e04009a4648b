"""Conversations with a vendor written without I/O, and the two ways of running them.

A poller (delivery reports, a vendor task's status) writes what it needs to ask
as a generator: it yields one :class:`Call`, is sent the parsed reply (or has the
vendor's :class:`~airflow_provider_nxcloud.exceptions.PermanentAPIError` thrown
in), and finally returns its answer. Sensors run it through a hook's synchronous
``request`` (:func:`drive`), triggers through the read-only async transport
(:func:`adrive`); the conversation is the same code in both.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from airflow_provider_nxcloud.exceptions import PermanentAPIError
from airflow_provider_nxcloud.platforms.endpoints import Endpoint

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One read request a poller wants made: ``request(endpoint, **kwargs)``."""

    endpoint: Endpoint
    kwargs: Mapping[str, Any]
    #: the vendor's rate limit for this endpoint: at least this many seconds between requests
    min_interval: float = 0.0


#: a conversation that ends with a ``T``
Conversation = Generator[Call, Any, T]
Request = Callable[..., Any]
AsyncRequest = Callable[..., Awaitable[Any]]


class Pacer:
    """Keeps requests to one endpoint at least :attr:`Call.min_interval` apart (NXCloud getVoiceCdr: 1 a second).

    ``handed_over``: the wait may follow another's requests (a sensor's poke just before
    it deferred), so the first request waits a whole interval too.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, handed_over: bool = False) -> None:
        self.clock = clock
        self._start = clock() if handed_over else None
        self._last: dict[str, float] = {}

    def delay(self, call: Call) -> float:
        """Seconds to wait before making ``call``."""
        last = self._last.get(call.endpoint.name, self._start)
        if call.min_interval <= 0 or last is None:
            return 0.0
        return max(0.0, last + call.min_interval - self.clock())

    def starting(self, call: Call) -> None:
        if call.min_interval > 0:
            self._last[call.endpoint.name] = self.clock()


def drive(
    conversation: Conversation[T], request: Request, pacer: Pacer, sleep: Callable[[float], Any] = time.sleep
) -> T:
    """Run a conversation synchronously: make each call it asks for, hand it the answer or the error."""
    try:
        call = next(conversation)
        while True:
            if wait := pacer.delay(call):
                sleep(wait)
            pacer.starting(call)
            try:
                reply = request(call.endpoint, **call.kwargs)
            except PermanentAPIError as exc:
                call = conversation.throw(exc)
            else:
                call = conversation.send(reply)
    except StopIteration as done:
        return done.value


async def adrive(
    conversation: Conversation[T],
    request: AsyncRequest,
    pacer: Pacer,
    sleep: Callable[[float], Awaitable[Any]],
) -> T:
    """Run a conversation with an async request function."""
    try:
        call = next(conversation)
        while True:
            if wait := pacer.delay(call):
                await sleep(wait)
            pacer.starting(call)
            try:
                reply = await request(call.endpoint, **call.kwargs)
            except PermanentAPIError as exc:
                call = conversation.throw(exc)
            else:
                call = conversation.send(reply)
    except StopIteration as done:
        return done.value
