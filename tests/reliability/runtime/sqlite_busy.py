"""SQLite connect arguments for the runtime stacks' metadata database.

The stacks run Airflow on SQLite with every component writing at once (scheduler, executor's
task supervisors, dag-processor, api-server, triggerer). SQLite lets one writer in at a time and
Python's sqlite3 waits 5 s for the lock by default: on 2 busy cores a write that waited longer
failed the request (an api-server 500 on ``POST .../dagRuns`` while the scheduler wrote). Waiting
up to 60 s turns that contention into delay, which the windows' own timeouts already allow for.
Named by ``[database] sql_alchemy_connect_args`` (and its async twin) in the stack's environment.
"""

CONNECT_ARGS = {"timeout": 60}
