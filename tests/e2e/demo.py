"""``make demo``: start the simulator, run every example DAG against it, summarise what it received."""

from __future__ import annotations

import shutil
import sys
from collections import Counter

from airflow_provider_nxcloud.testing import run_simulator
from tests.e2e.harness import REPO, airflow_env, dags_testable_example_ids, migrate, run_dag


def main() -> int:
    home = REPO / ".airflow"
    shutil.rmtree(home, ignore_errors=True)
    with run_simulator() as sim:
        print(f"simulator: {sim.url}")
        env = airflow_env(home, sim.connection_env())
        migrate(env)
        print(f"AIRFLOW_HOME: {home} (SQLite, migrated)")
        failed = []
        for dag_id in dags_testable_example_ids():
            result = run_dag(dag_id, env)
            print(f"  {dag_id:<40} {result.state}")
            if result.state != "success":
                failed.append(result)
        entries = sim.ledger.entries()
        kinds = Counter((entry.platform, entry.kind) for entry in entries)
        print("\nwhat the simulator accepted:")
        for (platform, kind), count in sorted(kinds.items()):
            print(f"  {platform:<14} {kind:<14} {count}")
        print(f"  requests received: {sim.requests.total()}, duplicates: {len(sim.ledger.duplicates())}")
    for result in failed:
        print(
            f"\n--- {result.dag_id} ended {result.state}; last output:\n{result.output[-4000:]}",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
