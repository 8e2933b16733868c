"""The long-term memory store (`client.store`): items by namespace and key.

The work is in `steadygraph.store.service`, against LangGraph's own store (the
very object the worker hands to graph nodes, so what a node writes is what
these routes read). Shapes follow LangGraph Server and what langgraph_sdk sends.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, Query, Response

from steadygraph.api.deps import Store
from steadygraph.api.models.common import INVALID
from steadygraph.api.models.store import ListNamespacesResponse, SearchItemsResponse, StoreItem
from steadygraph.store import service as store_items
from steadygraph.store.request import (
    StoreDelete,
    StoreListNamespaces,
    StorePut,
    StoreSearch,
    check_labels,
)

router = APIRouter(prefix="/store", tags=["Store"])


@router.put("/items", status_code=204, response_class=Response, responses=INVALID)
async def put_item(store: Store, body: StorePut) -> Response:
    await store_items.put_item(store, body)
    return Response(status_code=204)


@router.get("/items", responses={200: {"model": StoreItem}, **INVALID})
async def get_item(
    store: Store,
    key: str = Query(...),
    namespace: list[str] | None = Query(
        None, description='Labels joined with "." (as the SDK sends it), or repeated.'
    ),
    refresh_ttl: bool | None = Query(None),
) -> Any:
    # A missing item is 200 with a null body, as LangGraph Server answers.
    return await store_items.get_item(
        store, _query_namespace(namespace), key, refresh_ttl=refresh_ttl
    )


def _query_namespace(values: list[str] | None) -> list[str]:
    if not values:
        return []
    # The SDK sends one "a.b.c" string; repeated parameters are the OpenAPI form.
    labels = values[0].split(".") if len(values) == 1 else values
    if labels == [""]:
        return []
    try:
        return check_labels(labels)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"namespace: {exc}") from exc


@router.delete("/items", status_code=204, response_class=Response, responses=INVALID)
async def delete_item(store: Store, body: StoreDelete) -> Response:
    await store_items.delete_item(store, body)
    return Response(status_code=204)


@router.post("/items/search", responses={200: {"model": SearchItemsResponse}, **INVALID})
async def search_items(store: Store, body: StoreSearch | None = Body(None)) -> Any:
    return {"items": await store_items.search_items(store, body or StoreSearch())}


@router.post("/namespaces", responses={200: {"model": ListNamespacesResponse}, **INVALID})
async def list_namespaces(store: Store, body: StoreListNamespaces | None = Body(None)) -> Any:
    return {"namespaces": await store_items.list_namespaces(store, body or StoreListNamespaces())}
