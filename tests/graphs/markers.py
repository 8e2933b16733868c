"""Side effects the tests count: each node appends a line to a file named in its state."""

from __future__ import annotations

import os
from pathlib import Path


def mark(marker_file: str | None, line: str) -> None:
    if not marker_file:
        return
    # O_APPEND writes of one short line are atomic, so processes killed mid-run
    # never leave half a marker.
    fd = os.open(marker_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def read_marks(marker_file: str | Path) -> list[str]:
    path = Path(marker_file)
    return path.read_text().splitlines() if path.exists() else []
