"""Benchmarks: each one a pair, the framework against a named baseline, measured in the same run.

Run them all with ``python -m bench`` (see ``docs/performance.md``).
"""
