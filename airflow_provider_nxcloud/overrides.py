"""Disposition overrides: one grammar for the hooks, operators, sensors, triggers and the retry policy.

``disposition_overrides={key: value}`` changes what the provider does with a vendor code:

* a key is ``"code"``, ``"service:code"`` or ``"platform:service:code"`` (``-26``,
  ``"sms:-26"``, ``"buka:sms:-26"``); a code may be given as a number. Where several keys
  name the code a reply carries, the most specific wins. A service or platform must be one
  that has a code catalog: a misspelt one would otherwise never match, and the override
  would be silently ignored.
* a value is ``"retry"``, ``"resign"`` or ``"fail"`` (or a
  :class:`~airflow_provider_nxcloud.platforms.codes.Disposition`); the retry policy,
  which only decides whether Airflow tries the task again, takes ``"retry"`` or ``"fail"``.

One dict serves every task of a DAG, whatever its platform: a key scoped to another
platform or service just never matches.

This module, not :mod:`airflow_provider_nxcloud.retry_policy`, holds the grammar because
the retry policy refuses to import before Airflow 3.3 while the hooks and sensors need
the grammar on every supported version.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.platforms.catalogs import services
from airflow_provider_nxcloud.platforms.codes import Disposition, normalize_code

__all__ = ["PARAMETER", "override_for", "parse_overrides", "plain_overrides"]

#: the operator, sensor and hook parameter that takes overrides
PARAMETER = "disposition_overrides"


def parse_overrides(
    raw: Mapping[Any, Any] | None,
    *,
    parameter: str = PARAMETER,
    allowed: Collection[Disposition] = tuple(Disposition),
) -> dict[str, Disposition]:
    """Overrides checked and keyed canonically (``"buka:sms:-26"``, ``"sms:-26"``, ``"-26"``).

    Raises :class:`InvalidInputError` naming ``parameter`` for a key or value outside the
    grammar (or a value not in ``allowed``).
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(parameter, f"must be a dict of code to disposition, not {raw!r}")
    known = services()
    parsed: dict[str, Disposition] = {}
    for key, value in raw.items():
        parsed[_key(key, known, parameter)] = _value(key, value, allowed, parameter)
    return parsed


def plain_overrides(raw: Mapping[Any, Any] | None, *, parameter: str = PARAMETER) -> dict[str, str] | None:
    """Overrides as a trigger's keyword argument (plain JSON, canonical keys); None for none."""
    parsed = parse_overrides(raw, parameter=parameter)
    return {key: disposition.value for key, disposition in sorted(parsed.items())} or None


def override_for(
    overrides: Mapping[str, Disposition], platform: str, service: str, code: int | str
) -> Disposition | None:
    """The override of ``code`` from ``platform``'s ``service``, the most specific key first."""
    code = normalize_code(code)
    for key in (f"{platform}:{service}:{code}", f"{service}:{code}", code):
        if key in overrides:
            return overrides[key]
    return None


def _key(key: Any, known: list[tuple[str, str]], parameter: str) -> str:
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise InvalidInputError(parameter, f"key {key!r} must be text or a whole number")
    parts = [part.strip() for part in str(key).split(":")]
    if len(parts) > 3 or not all(parts):
        raise InvalidInputError(
            parameter, f"key {key!r} must be 'platform:service:code', 'service:code' or 'code'"
        )
    *scope, code = parts
    if len(scope) == 2 and tuple(scope) not in known:
        raise InvalidInputError(parameter, f"key {key!r}: no code catalog for {scope[0]}/{scope[1]}")
    if len(scope) == 1 and scope[0] not in {service for _, service in known}:
        raise InvalidInputError(parameter, f"key {key!r}: no platform has a service {scope[0]!r}")
    return ":".join([*scope, normalize_code(code)])


def _value(key: Any, value: Any, allowed: Collection[Disposition], parameter: str) -> Disposition:
    try:
        disposition = Disposition(value)
    except ValueError:
        disposition = None
    if disposition is None or disposition not in allowed:
        names = [d.value for d in Disposition if d in allowed]
        either = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise InvalidInputError(parameter, f"value for {key!r} must be {either}, not {value!r}")
    return disposition
