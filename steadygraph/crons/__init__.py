"""Crons: runs created on a schedule, kept as Temporal Schedules."""
