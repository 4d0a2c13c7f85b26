"""Benchmarks: `make bench` or `.venv/bin/python -m bench`. Medians over repeated runs."""
