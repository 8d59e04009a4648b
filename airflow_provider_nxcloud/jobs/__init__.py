"""Long-running vendor work (voice campaign tasks, AI voice tasks, number checks): how it is created
exactly once and how its progress is read. Pure: no Airflow imports, no I/O of its own."""
