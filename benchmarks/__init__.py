"""`make bench`: our job against a straightforward Spark baseline and DuckDB on a day-scale synthetic trail.

Not a test: nothing here asserts a timing. Run from the repo root with `.venv/bin/python -m benchmarks.run`.
"""
