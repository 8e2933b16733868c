"""Small helpers shared by tests."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from markers import read_marks

from steadygraph.storage import Storage


def slow_input(marker: Path, sleep_s: float) -> dict:
    """Input of the `slow` graph: step2 sleeps `sleep_s`; nodes mark `marker`."""
    return {"marker_file": str(marker), "sleep_s": sleep_s}


async def wait_for_mark(marker: Path, mark: str, within_s: float = 30) -> None:
    for _ in range(int(within_s / 0.05)):
        if mark in read_marks(marker):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{mark} never appeared in {marker}")


async def pending_run(storage: Storage, thread_id: str | None = None) -> str:
    """A pending run (of the `agent` graph) on `thread_id`, or on a new thread;
    its id."""
    if thread_id is None:
        thread_id = str(uuid.uuid4())
        await storage.create_thread(thread_id, {})
    run = await storage.create_run(
        run_id=str(uuid.uuid4()),
        thread_id=thread_id,
        assistant={"assistant_id": "a1", "graph_id": "agent"},
        metadata={},
        kwargs={},
        multitask_strategy="enqueue",
    )
    assert run is not None
    return str(run["run_id"])


class Balancer:
    """A TCP load balancer in front of API replicas: each new connection goes to
    the next port of `targets` (round-robin); take a port out of `targets` and
    new connections avoid it, as a balancer's health check would."""

    def __init__(self, targets: list[int], port: int = 0) -> None:
        self.targets = list(targets)
        self._turn = 0
        self._server: asyncio.Server | None = None
        self.port = port

    async def __aenter__(self) -> Balancer:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._turn += 1
        target = self.targets[self._turn % len(self.targets)]
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.transport.abort()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                dst.transport.abort()  # a cut on one side is a cut on the other
            else:
                dst.close()  # a clean end stays clean: what was sent is delivered

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
