"""Small helpers shared by end-to-end tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from markers import read_marks


def slow_input(marker: Path, sleep_s: float) -> dict:
    """Input of the `slow` graph: step2 sleeps `sleep_s`; nodes mark `marker`."""
    return {"marker_file": str(marker), "sleep_s": sleep_s}


async def wait_for_mark(marker: Path, mark: str, within_s: float = 30) -> None:
    for _ in range(int(within_s / 0.05)):
        if mark in read_marks(marker):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{mark} never appeared in {marker}")
