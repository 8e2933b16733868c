"""The HTTP API: LangGraph Server's REST surface mapped onto Temporal and storage.
No graph code runs here."""
