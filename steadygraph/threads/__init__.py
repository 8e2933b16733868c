"""Threads: request bodies, the thread operations (rows, state, history, copies,
deletes, prunes), and the TTL sweep schedule."""
