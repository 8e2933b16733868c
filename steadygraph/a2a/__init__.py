"""Every assistant as an A2A agent (Agent2Agent protocol, JSON-RPC binding):
a task is one or more ordinary durable Steadygraph runs on the thread its
`contextId` names."""
