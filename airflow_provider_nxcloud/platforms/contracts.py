"""Documented request contracts: what each vendor endpoint requires, as data, with its source.

A :class:`Contract` holds, for one endpoint of a platform's table, the fields its
documentation marks required (and the types, lengths, formats and counts it
documents), the address of the page or SDK file that says so, and the page's
example reply. The contracts are written from the vendors' own documents, never
from this provider's code, so two things can be held against them:

- every request the provider builds (tests capture it at the transport);
- every request the simulator serves: it refuses one that breaks its endpoint's
  contract with the vendor's own parameter-error reply, so a green test cannot
  hide a request the vendor would reject.

Each vendor's contracts live in ``platforms/<vendor>_contracts.py`` as a plain
tuple; :func:`contract_index` merges them (no registry filled by imports).

Field paths: ``phone`` (top level), ``params.strTime`` (inside an object),
``numberList[]`` (every item of an array), ``messages[].To`` (a field of every
item). For form, query and multipart bodies every value travels as text, so
``integer`` there means text of digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: the JSON types a field may be documented as; ``file`` is a multipart file part
FIELD_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array", "file", "any"})

_INTEGER_TEXT = re.compile(r"^-?\d+$")
_NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class FieldRule:
    """One documented field of a request."""

    path: str
    type: str = "string"
    required: bool = True
    #: required only when another field (a path) holds one of these values: ``("source", (3,))``
    required_when: tuple[str, tuple[Any, ...]] | None = None
    #: documented bounds: characters of a string, items of an array
    min_length: int | None = None
    max_length: int | None = None
    #: a documented format, as a regular expression the whole value must match
    pattern: str | None = None
    #: the documented values, when the page lists them
    choices: tuple[Any, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"{self.path}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Contract:
    """What the vendor documents for one endpoint of ``platform``'s table."""

    platform: str
    #: the endpoint's name in ``platforms/<vendor>.ENDPOINTS``
    endpoint: str
    #: page address or repository path the fields come from
    source: str
    fields: tuple[FieldRule, ...] = ()
    #: the example reply the source documents (None where it gives none)
    example_reply: Any = None
    #: where the example reply comes from, when not ``source``
    example_source: str = ""
    #: anything a reader should know: conflicts between sources, what is assumed
    notes: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.endpoint)

    def violations(self, payload: Any, *, text_values: bool = False) -> list[str]:
        """What in ``payload`` breaks this contract, one line each (empty: it holds).

        ``text_values``: the payload is a form, query string or multipart body, where
        every plain value is text.
        """
        problems: list[str] = []
        for rule in self.fields:
            problems.extend(_check(rule, payload, text_values))
        return problems


def contract_index(*tables: Iterable[Contract]) -> dict[tuple[str, str], Contract]:
    """One index of every platform's contracts, keyed by ``(platform, endpoint)``."""
    index: dict[tuple[str, str], Contract] = {}
    for table in tables:
        for contract in table:
            if contract.key in index:
                raise ValueError(f"contract {contract.key} is defined twice")
            index[contract.key] = contract
    return index


# ----- checking -----------------------------------------------------------------------------


_MISSING = object()


def _values(payload: Any, path: str) -> Iterator[tuple[str, Any]]:
    """``(concrete path, value)`` for every place ``path`` names; ``_MISSING`` where absent."""
    parts = path.split(".")

    def walk(node: Any, index: int, where: str) -> Iterator[tuple[str, Any]]:
        if index == len(parts):
            yield where, node
            return
        part = parts[index]
        many = part.endswith("[]")
        name = part[:-2] if many else part
        if name:
            child = node.get(name, _MISSING) if isinstance(node, Mapping) else _MISSING
            here = f"{where}.{name}" if where else name
        else:  # "[]" alone: the node itself is the array
            child, here = node, where
        if not many:
            yield from walk(child, index + 1, here)
            return
        if not isinstance(child, list):
            # the array itself is absent or not an array: its own rule says so
            return
        for position, item in enumerate(child):
            yield from walk(item, index + 1, f"{here}[{position}]")

    yield from walk(payload, 0, "")


def _first_value(payload: Any, path: str) -> Any:
    for _where, value in _values(payload, path):
        return value
    return _MISSING


def _check(rule: FieldRule, payload: Any, text_values: bool) -> list[str]:
    required = rule.required
    if rule.required_when is not None:
        other, values = rule.required_when
        required = _first_value(payload, other) in values or str(_first_value(payload, other)) in {
            str(v) for v in values
        }
    problems: list[str] = []
    for found_at, value in _values(payload, rule.path):
        where = found_at or rule.path
        if value is _MISSING or value is None or value == "":
            if required:
                problems.append(f"{where}: required and missing")
            continue
        problems.extend(_check_value(rule, where, value, text_values))
    return problems


def _check_value(rule: FieldRule, where: str, value: Any, text_values: bool) -> list[str]:
    kind = rule.type
    ok = True
    if kind == "file":
        ok = hasattr(value, "filename") or isinstance(value, bytes | bytearray)
    elif text_values and kind != "any":
        # form, query and multipart values are text (a file part where a field is documented is wrong)
        if not isinstance(value, str):
            return [f"{where}: must be a plain {kind} field, not a {type(value).__name__}"]
        if kind == "integer":
            ok = bool(_INTEGER_TEXT.match(value))
        elif kind == "number":
            ok = bool(_NUMBER_TEXT.match(value))
        elif kind == "boolean":
            ok = value.lower() in ("true", "false", "0", "1")
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "object":
        ok = isinstance(value, Mapping)
    elif kind == "array":
        ok = isinstance(value, list)
    if not ok:
        return [f"{where}: must be {kind}, not {type(value).__name__} {_short(value)}"]
    problems: list[str] = []
    size = len(value) if isinstance(value, str | list) else None
    if size is not None and rule.min_length is not None and size < rule.min_length:
        problems.append(f"{where}: has {size}, the documented minimum is {rule.min_length}")
    if size is not None and rule.max_length is not None and size > rule.max_length:
        problems.append(f"{where}: has {size}, the documented maximum is {rule.max_length}")
    if rule.pattern is not None and isinstance(value, str) and not re.fullmatch(rule.pattern, value):
        problems.append(f"{where}: {_short(value)} does not match the documented format {rule.pattern}")
    if rule.choices and value not in rule.choices and str(value) not in {str(c) for c in rule.choices}:
        problems.append(f"{where}: {_short(value)} is not one of the documented values {list(rule.choices)}")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
