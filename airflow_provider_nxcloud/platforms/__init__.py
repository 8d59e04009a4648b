"""Pure vendor knowledge: signing, endpoint tables, code catalogs and statuses.

Nothing in this package imports Airflow, so the hooks and the simulator share it.
"""

from __future__ import annotations

from airflow_provider_nxcloud.platforms.codes import CodeInfo, Disposition, Reason, lookup_code

__all__ = ["CodeInfo", "Disposition", "Reason", "lookup_code"]
