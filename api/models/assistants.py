"""Assistant responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Assistant(BaseModel):
    assistant_id: str
    graph_id: str
    config: dict[str, Any]
    context: dict[str, Any]
    metadata: dict[str, Any]
    name: str
    created_at: str
    updated_at: str
    version: int
    description: str | None


class AssistantVersion(BaseModel):
    assistant_id: str
    version: int
    graph_id: str
    config: dict[str, Any]
    context: dict[str, Any]
    metadata: dict[str, Any]
    created_at: str
    name: str
    description: str | None


class GraphSchemaNoId(BaseModel):
    input_schema: dict[str, Any] | None
    output_schema: dict[str, Any] | None
    state_schema: dict[str, Any] | None
    config_schema: dict[str, Any] | None
    context_schema: dict[str, Any] | None


class GraphSchema(GraphSchemaNoId):
    graph_id: str
