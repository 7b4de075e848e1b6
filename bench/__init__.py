"""Benchmarks: `make bench` (QUICK=1 for a smoke run). Timings live here, never in tests."""
