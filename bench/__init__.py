"""Benchmarks: each script generates its own seeded data and compares against the obvious alternative."""
