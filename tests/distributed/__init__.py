"""A campaign split over mapped tasks on CeleryExecutor with a worker killed (``make test-distributed``)."""
