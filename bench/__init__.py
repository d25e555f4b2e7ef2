"""Benchmarks of the running native stack: throughput, vote-to-screen latency, capacity, memory, failover.

Run through scripts/bench; bench/README.md says what each section measures and how.
"""
