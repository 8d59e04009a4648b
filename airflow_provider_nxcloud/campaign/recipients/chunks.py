"""Lists of items read from a stream only as each list is needed."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def chunked(
    iterable: Iterable[T], size: int, *, key: Callable[[T], object] | None = None
) -> Iterator[list[T]]:
    """Lists of at most ``size`` items, read from ``iterable`` only as each list is needed.

    With ``key``, a list also ends where ``key(item)`` changes, so all items of a list
    share one key (consecutive runs: the same input always gives the same lists).
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
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
