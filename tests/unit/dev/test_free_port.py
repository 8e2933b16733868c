"""free_port picks ports the kernel does not hand out on its own, so nothing takes
them between the pick and the server's bind."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from steadygraph.dev import temporal_server
from steadygraph.dev.temporal_server import ephemeral_port_range, free_port


def test_ports_lie_below_the_ephemeral_range_and_can_be_bound() -> None:
    low, _ = ephemeral_port_range()
    ports = {free_port() for _ in range(20)}
    assert len(ports) > 1  # random, not one fixed port every process would share
    for port in ports:
        assert 20000 <= port < low
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_someone_listens_on_is_not_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", free_port()))
        listener.listen()
        taken = listener.getsockname()[1]
        monkeypatch.setattr(temporal_server.random, "randrange", lambda a, b: taken)
        # Every random pick is the taken port: free_port gives up on the range and
        # asks the kernel instead.
        port = free_port()
        assert port != taken
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_kernel_with_no_room_below_its_range_hands_out_the_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ranges = tmp_path / "ip_local_port_range"
    ranges.write_text("1024\t65535\n")
    monkeypatch.setattr(temporal_server, "_EPHEMERAL_RANGE_FILE", ranges)
    assert ephemeral_port_range() == (1024, 65535)
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
