"""Connecting to Temporal and what every process agrees on about it."""
