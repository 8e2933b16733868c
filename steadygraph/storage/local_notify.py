"""Run-change notifications between the processes of one machine, for SQLite.

PostgreSQL delivers `NOTIFY` at commit to every listening connection. SQLite
has nothing like it, but every process that opens a SQLite database is on
the machine that holds the file. So each listening process binds a Unix
datagram socket in a directory next to the database file
(`<database>.notify/<channel>.<pid>.<token>.sock`), and a process that
commits a change sends the run's id to every socket of the channel, after
the commit, so a woken reader sees the change (see `sqlite_driver`). A
socket left behind by a killed process refuses datagrams; the sender
removes it.

A notification can be lost (a receiver's full buffer, a process that does not
send, like a worker of an older version): listeners therefore still wake
after a short safety timeout, no longer than the polling they replace.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

_SUFFIX = ".sock"
# Longest path a Unix socket address holds on Linux (sun_path, NUL included).
_MAX_PATH = 107


def notify_directory(database: str | None) -> Path | None:
    """Where the sockets of a SQLite database file live; None for an
    in-memory database (nothing outside this process can see it)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{os.path.abspath(database)}.notify")


@contextlib.contextmanager
def _addresses(directory: Path) -> Iterator[Callable[[str], str | None]]:
    """Socket addresses of names in `directory`. A Unix socket address holds
    at most 107 bytes, less than a data directory's path may take: a longer
    one is reached through this process's descriptor of the directory
    (/proc/self/fd/N/name, Linux), opened only then."""
    fd: int | None = None

    def address(name: str) -> str | None:
        nonlocal fd
        full = str(directory / name)
        if len(full) <= _MAX_PATH:
            return full
        if fd is None:
            try:
                fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                return None
        via_proc = f"/proc/self/fd/{fd}/{name}"
        return via_proc if os.path.isdir(f"/proc/self/fd/{fd}") else None

    try:
        yield address
    finally:
        if fd is not None:
            os.close(fd)


def send(directory: Path, notices: Iterable[tuple[str, str]]) -> None:
    """Send each (channel, run id) to every listener of that channel. Never
    raises: a notification is an optimisation, the change is committed."""
    try:
        names = os.listdir(directory)
        with (
            _addresses(directory) as address,
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender,
        ):
            sender.setblocking(False)
            for channel, run_id in notices:
                prefix = f"{channel}."
                for name in names:
                    if name.startswith(prefix) and name.endswith(_SUFFIX):
                        _send_one(sender, directory / name, address(name), run_id.encode())
    except OSError as exc:  # no directory yet (nobody listened), no descriptor left
        log.debug("run notifications not sent: %s", exc)


def _send_one(sender: socket.socket, path: Path, address: str | None, payload: bytes) -> None:
    if address is None:
        return
    try:
        sender.sendto(payload, address)
    except ConnectionRefusedError:
        # No process holds it: its owner died without removing it.
        with contextlib.suppress(OSError):
            path.unlink()
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.EAGAIN, errno.ENOBUFS):
            log.debug("run notification to %s not sent: %s", path, exc)


class LocalListener:
    """This process's socket for one channel: calls `wake(run_id)` for each
    notification, on the event loop it was opened on."""

    def __init__(self, directory: Path, channel: str, wake: Callable[[str], None]) -> None:
        self._path = directory / f"{channel}.{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}"
        self._wake = wake
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> bool:
        """Bind the socket; False (and the caller polls) where it cannot be."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with _addresses(self._path.parent) as address:
                bound_at = address(self._path.name)
                if bound_at is None:
                    raise OSError(errno.ENAMETOOLONG, "socket path too long")
                sock.bind(bound_at)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            log.info("run notifications off: cannot listen at %s: %s", self._path, exc)
            return False
        self._socket = sock
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._receive)
        return True

    def _receive(self) -> None:
        assert self._socket is not None
        while True:
            try:
                payload = self._socket.recv(256)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("run notification not received: %s", exc)
                return
            self._wake(payload.decode(errors="replace"))

    def close(self) -> None:
        if self._socket is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._socket.fileno())
        self._socket.close()
        self._socket = None
        with contextlib.suppress(OSError):
            self._path.unlink()
