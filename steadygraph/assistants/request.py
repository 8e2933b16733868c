"""The bodies of assistant requests, as LangGraph Server's OpenAPI document names them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from steadygraph.request_body import MAX_OFFSET, RequestBody
from steadygraph.runs.request import RunConfig

AssistantField = Literal[
    "assistant_id",
    "graph_id",
    "name",
    "description",
    "config",
    "context",
    "created_at",
    "updated_at",
    "metadata",
    "version",
]


# Versions are 64-bit integers in storage, numbered from 1.
MAX_VERSION = 2**63 - 1


class AssistantCreate(RequestBody):
    graph_id: str
    assistant_id: str | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    name: str | None = None
    description: str | None = None


class AssistantPatch(RequestBody):
    graph_id: str | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None


class AssistantSearch(RequestBody):
    metadata: dict[str, Any] | None = None
    graph_id: str | None = None
    name: str | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    sort_by: Literal["assistant_id", "created_at", "updated_at", "name", "graph_id"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[AssistantField] | None = None


class AssistantCount(RequestBody):
    metadata: dict[str, Any] | None = None
    graph_id: str | None = None
    name: str | None = None


class AssistantVersionsSearch(RequestBody):
    metadata: dict[str, Any] | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class AssistantVersionChange(RequestBody):
    version: int | None = Field(None, ge=1, le=MAX_VERSION)
