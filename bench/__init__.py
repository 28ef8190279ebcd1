"""Benchmarks for the Hesabe mock: ``python -m bench`` (or ``make bench``) prints tables and writes
``bench/results/*.json``. Nothing here is a test: figures are measured, printed and compared with
the targets, never asserted. See docs/benchmarks.md for the latest table.
"""
