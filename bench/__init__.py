"""Benchmarks: runnable by one command each, printing figures (see README)."""
