"""The stages of a run, in order: recover, list, convert, check, publish, volume, catalog, verify digests, report.

Each stage is a function of the run's context (context.RunContext) and what the stages before it returned, and
returns what the next ones need; job.py calls them in that order and fills the report, and clock.py times them.
"""
