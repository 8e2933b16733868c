"""A user project with its own `api`, `workflows` and `activities` packages (the
names of Steadygraph's own top-level folders) is served unchanged: our modules
live under `steadygraph.*` only, so neither side shadows the other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import ROOT, dedicated_deployment
from langgraph_sdk import get_client

from steadygraph.dev.temporal_server import EmbeddedTemporal

PROJECT = ROOT / "tests" / "projects" / "generic_names" / "langgraph.json"


@pytest.fixture(scope="module")
def generic_names_url(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with dedicated_deployment(
        temporal_server.address, database_url, tmp_path_factory.mktemp("generic-names"), PROJECT
    ) as deployment:
        yield deployment.url


async def test_project_packages_named_like_ours_are_served(generic_names_url: str) -> None:
    client = get_client(url=generic_names_url)
    thread = await client.threads.create()
    result = await client.runs.wait(thread["thread_id"], "generic", input={"value": 21})
    assert result == {
        "value": 42,
        "greeting": "hello from the user's api package",
        "origin": "user",
    }
