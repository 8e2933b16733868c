"""Store responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class StoreItem(BaseModel):
    namespace: list[str]
    key: str
    value: dict[str, Any]
    created_at: str
    updated_at: str


class StoreSearchItem(StoreItem):
    score: float | None = None


class SearchItemsResponse(BaseModel):
    items: list[StoreSearchItem]


class ListNamespacesResponse(BaseModel):
    namespaces: list[list[str]]
