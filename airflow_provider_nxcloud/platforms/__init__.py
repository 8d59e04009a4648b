"""Pure vendor knowledge: signing, endpoint tables, code catalogs, request contracts and statuses.

Nothing in this package imports Airflow, so the hooks and the simulator share it.
"""
