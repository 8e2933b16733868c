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
from steadygraph.graph.run_config import node_list
from steadygraph.runs.kwargs import RunKwargs
from steadygraph.storage import Storage
from steadygraph.temporal.contract import matches_nodes

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

    async def for_run(
        self, storage: Storage, run: dict[str, Any], graph_id: str
    ) -> list[str] | None:
        """The nodes `run`'s first step is expected to run: its graph's entry,
        if the run starts there (it applies new input to the thread's head)
        and does not stop before them (interrupt_before)."""
        kwargs = RunKwargs.of(run)
        if kwargs.input is None or kwargs.command is not None or kwargs.fork_checkpoint_id:
            return None
        entry = await self.of(storage, graph_id)
        if entry is None or matches_nodes(entry, node_list(kwargs.interrupt_before)):
            return None
        return entry
