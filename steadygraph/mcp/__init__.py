"""Every assistant as an MCP tool (Model Context Protocol, streamable HTTP
transport, stateless): `tools/call` is an ordinary durable Steadygraph run."""
