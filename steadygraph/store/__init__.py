"""The long-term memory store (`client.store`): items by namespace and key.

The store itself is LangGraph's (opened by `steadygraph.graph.store`), the very
object the worker hands to graph nodes, so what a node writes is what the API reads.
"""
