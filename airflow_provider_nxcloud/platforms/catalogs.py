"""Every platform's code catalogs in one index: look a vendor code up by (platform, service, code).

The tables are plain data in ``platforms/<vendor>_codes.py``; this module only merges them, so
nothing is registered by importing a module and the import graph has no cycle.
"""

from __future__ import annotations

from airflow_provider_nxcloud.platforms import buka_codes, fonedynamics_codes, nxcloud_codes
from airflow_provider_nxcloud.platforms.codes import CodeInfo, ServiceCatalog, normalize_code


def _index(*tables: tuple[ServiceCatalog, ...]) -> dict[tuple[str, str], ServiceCatalog]:
    index: dict[tuple[str, str], ServiceCatalog] = {}
    for table in tables:
        for entry in table:
            key = (entry.platform, entry.service)
            if key in index:
                raise ValueError(f"code catalog {key} is defined twice")
            index[key] = entry
    return index


_CATALOGS = _index(nxcloud_codes.CATALOGS, buka_codes.CATALOGS, fonedynamics_codes.CATALOGS)


def catalog(platform: str, service: str) -> ServiceCatalog:
    try:
        return _CATALOGS[(platform, service)]
    except KeyError:
        known = ", ".join(f"{p}/{s}" for p, s in sorted(_CATALOGS))
        raise KeyError(f"no code catalog for {platform}/{service}; known: {known}") from None


def services(platform: str | None = None) -> list[tuple[str, str]]:
    """All (platform, service) pairs that have a catalog."""
    return sorted(key for key in _CATALOGS if platform is None or key[0] == platform)


def lookup_code(platform: str, service: str, code: int | str) -> CodeInfo | None:
    """Meaning and disposition of a vendor code, or ``None`` when the catalog does not know it."""
    key = normalize_code(code)
    pending = [service]
    seen: set[str] = set()
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        table = catalog(platform, name)
        info = table.codes.get(key)
        if info is not None:
            return info
        pending.extend(table.falls_back_to)
    return None
