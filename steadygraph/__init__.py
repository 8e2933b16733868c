"""Steadygraph: a LangGraph Server-compatible API whose runs are Temporal workflows."""

__version__ = "0.1.0"
