"""Thread streams: LangGraph's v3 streaming protocol (`client.threads.stream`)
over the durable per-run event logs, translated on read."""
