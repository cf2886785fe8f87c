"""Benchmarks: scripts, not tests. Each is one command (`python -m bench.<name>`); see bench/README.md."""
