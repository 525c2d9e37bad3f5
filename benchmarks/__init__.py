"""matcalc's benchmarks: ``python -m benchmarks.run`` writes BENCHMARKS.md (see there)."""
