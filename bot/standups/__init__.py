"""Async standups: each person prompted in their own time zone, answers threaded under one report."""
