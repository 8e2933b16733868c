"""Threads: state updates, copies, deletes, prunes, and the TTL sweep schedule."""
