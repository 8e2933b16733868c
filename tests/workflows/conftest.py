"""Fixtures of the workflow tests: a Temporal client of the session's server,
and a thread id whose workflow is terminated after the test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.temporal.contract import thread_workflow_id


@pytest.fixture(scope="module")
async def client(temporal_server: EmbeddedTemporal) -> AsyncIterator[Client]:
    yield await Client.connect(temporal_server.address)


@pytest.fixture
async def thread(client: Client) -> AsyncIterator[str]:
    """A thread id; its workflow (idle for a minute before it ends) is
    terminated after the test."""
    thread_id = str(uuid.uuid4())
    yield thread_id
    try:
        await client.get_workflow_handle(thread_workflow_id(thread_id)).terminate("test over")
    except RPCError:
        pass  # it has ended already
