"""Reliability windows run through the real Airflow runtime (``make reliability``).

Scheduler with the LocalExecutor (real supervisor and task processes, real retries),
dag-processor, api-server and triggerer in a private SQLite home; the simulator, a fault
proxy and a console in a process of their own; a "person" answering Human-in-the-loop
requests over the public REST API. See :mod:`.windows` for what each window does.
"""
