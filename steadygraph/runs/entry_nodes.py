"""The nodes a new run is expected to start with, read from what workers
published (`steadygraph.assistants.graph_info`, document "entry").

A run that knows them has its workflow prepare it in the activity of its
first super-step, named after these nodes, instead of in an activity of its
own. The worker checks the guess against the thread: where it is wrong (a
deploy changed the graph, the thread has nodes of its own still due), that
activity only prepares and the run goes on as without it. So a stale answer
costs nothing but the saving, which is why a few seconds' cache is enough.
"""

from __future__ import annotations

import time
from typing import Any

from steadygraph.assistants.graph_info import ENTRY, STATUS
from steadygraph.runs.kwargs import RunKwargs
from steadygraph.storage import Storage

# How long a graph's published entry is trusted before it is read again.
_TTL_S = 10.0


class EntryNodes:
    """Per-process cache of each graph's published entry nodes."""

    def __init__(self, ttl_s: float = _TTL_S) -> None:
        self._ttl_s = ttl_s
        self._known: dict[str, tuple[float, list[str] | None]] = {}

    async def of(self, storage: Storage, graph_id: str) -> list[str] | None:
        """The graph's static entry nodes; None when it has none or no worker
        published them (yet)."""
        now = time.monotonic()
        cached = self._known.get(graph_id)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        documents = await storage.assistants.get_graph_info(graph_id, [STATUS, ENTRY])
        status = documents.get((STATUS, ""))
        if status is None:  # no worker has published yet: ask again next time
            return None
        nodes = (documents.get((ENTRY, "")) or {}).get("nodes")
        known = None
        if not status.get("error") and isinstance(nodes, list) and nodes:
            known = [str(node) for node in nodes]
        self._known[graph_id] = (now, known)
        return known


def starts_from_entry(run: dict[str, Any]) -> bool:
    """Whether a run starts by applying new input to the thread's head, the
    case where its first nodes are the graph's entry (not a resume, a Command
    or a fork from an earlier checkpoint)."""
    kwargs = RunKwargs.of(run)
    return kwargs.input is not None and kwargs.command is None and not kwargs.fork_checkpoint_id
