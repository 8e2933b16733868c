"""Assistants: request bodies, the assistant operations, resolving ids, and the
graph information workers publish."""
