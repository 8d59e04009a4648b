"""Benchmarks of the provider against the offline simulator: ``python -m bench`` (``make bench``).

Five sections, one table (also written to ``bench/RESULTS.md``):

1. hook overhead (:mod:`bench.hook_overhead`);
2. campaign throughput against a vendor-sample-code baseline (:mod:`bench.throughput`,
   :mod:`bench.baseline`);
3. request efficiency: requests used vs the physical minimum (:mod:`bench.efficiency`);
4. memory of a campaign task (:mod:`bench.throughput`);
5. the cost of waiting in the triggerer (:mod:`bench.waiting`, :mod:`bench.triggerer`).

The simulator always runs in a process of its own (:mod:`bench.sim`), and so do the
campaign tasks and the triggerer. ``tests/test_bench_smoke.py`` runs every section at
tiny sizes so the benchmarks cannot rot; it asserts no timings.
"""
