"""Assistants: resolving ids and the graph information workers publish."""
