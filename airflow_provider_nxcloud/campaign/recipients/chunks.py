"""Lists of items read from a stream only as each list is needed."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@runtime_checkable
class Chunkable(Protocol[T_co]):
    """A stream that gives its items in sequences of a size itself, cheaper than one at a time
    (:class:`.spool.RecipientSpool`: a block of its file at a time)."""

    def chunks(self, size: int) -> Iterator[Sequence[T_co]]: ...


def chunked(
    iterable: Iterable[T], size: int, *, key: Callable[[T], object] | None = None
) -> Iterator[Sequence[T]]:
    """Lists of at most ``size`` items, read from ``iterable`` only as each list is needed.

    With ``key``, a list also ends where ``key(item)`` changes, so all items of a list
    share one key (consecutive runs: the same input always gives the same lists). A
    :class:`Chunkable` stream gives its own sequences.
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    if isinstance(iterable, Chunkable):
        if key is None:
            return iterable.chunks(size)
        iterable = itertools.chain.from_iterable(iterable.chunks(size))
    if key is not None:
        return _runs(iter(iterable), size, key)
    return _chunks(iter(iterable), size)


def _chunks(iterator: Iterator[T], size: int) -> Iterator[list[T]]:
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _runs(iterator: Iterator[T], size: int, key: Callable[[T], object]) -> Iterator[list[T]]:
    chunk: list[T] = []
    current: object = None
    for item in iterator:
        value = key(item)
        if chunk and (len(chunk) == size or value != current):
            yield chunk
            chunk = []
        chunk.append(item)
        current = value
    if chunk:
        yield chunk
