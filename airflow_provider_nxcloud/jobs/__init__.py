"""Long-running vendor work (voice campaign tasks, AI voice tasks, number checks): how it is created
exactly once and how its progress is read. No I/O of its own: the reads
are the platform hooks' ``*_call`` methods, made by whoever runs the conversation."""
