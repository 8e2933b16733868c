"""Graph code's surroundings: loading langgraph.json graphs, the run config they
see, JSON serialisation, LangGraph's checkpointer and long-term store."""
