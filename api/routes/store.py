"""The long-term memory store (`client.store`): items by namespace and key.

Backed by LangGraph's own store (see steadygraph/store.py), the very object the
worker hands to graph nodes, so what a node writes is what these routes read.
Request and response shapes follow LangGraph Server and what langgraph_sdk sends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from langgraph.store.base import NOT_PROVIDED, BaseStore, InvalidNamespaceError, Item
from pydantic import BaseModel, ConfigDict, Field, field_validator

from steadygraph.api.models import ErrorBody

router = APIRouter(prefix="/store", tags=["Store"])


def get_store(request: Request) -> BaseStore:
    return request.app.state.store


Store = Annotated[BaseStore, Depends(get_store)]

_INVALID: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody}}


# --- namespaces -------------------------------------------------------------------


def _check_labels(labels: list[str]) -> list[str]:
    # LangGraph joins labels with "." when storing them, so a "." inside a label
    # would silently address another namespace.
    for label in labels:
        if not label:
            raise ValueError("namespace labels must be non-empty strings")
        if "." in label:
            raise ValueError(f"namespace label {label!r} must not contain '.'")
        if "\x00" in label:
            raise ValueError(f"namespace label {label!r} must not contain NUL characters")
    return labels


def _check_item_namespace(labels: list[str]) -> list[str]:
    _check_labels(labels)
    if not labels:
        raise ValueError("namespace must have at least one label")
    if labels[0] == "langgraph":
        raise ValueError('namespace must not start with "langgraph" (reserved)')
    return labels


# --- bodies -----------------------------------------------------------------------


class _Body(BaseModel):
    # Unknown fields are ignored, as LangGraph Server's schema allows them.
    model_config = ConfigDict(extra="ignore")


class StorePut(_Body):
    namespace: list[str]
    key: str
    value: dict[str, Any]
    index: Literal[False] | list[str] | None = Field(
        None, description="null: the store's `fields`; false: not indexed; or field paths."
    )
    ttl: float | None = Field(None, gt=0, description="Minutes; null uses the store's default.")

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, labels: list[str]) -> list[str]:
        return _check_item_namespace(labels)

    @field_validator("index", mode="wrap")
    @classmethod
    def _index(cls, value: Any, handler: Any) -> Any:
        # One message instead of one per member of the union.
        try:
            return handler(value)
        except ValueError:
            raise ValueError("must be false, null or a list of field paths") from None


class StoreDelete(_Body):
    namespace: list[str] = Field(default_factory=list)
    key: str

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, labels: list[str]) -> list[str]:
        return _check_labels(labels)


class StoreSearch(_Body):
    namespace_prefix: list[str] | None = None
    filter: dict[str, Any] | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    query: str | None = None
    refresh_ttl: bool | None = None

    @field_validator("namespace_prefix")
    @classmethod
    def _prefix(cls, labels: list[str] | None) -> list[str] | None:
        return None if labels is None else _check_labels(labels)


class StoreListNamespaces(_Body):
    prefix: list[str] | None = None
    suffix: list[str] | None = None
    max_depth: int | None = Field(None, ge=1)
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)

    @field_validator("prefix", "suffix")
    @classmethod
    def _labels(cls, labels: list[str] | None) -> list[str] | None:
        return None if labels is None else _check_labels(labels)


# --- response shapes (documentation only) -------------------------------------------


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


def _timestamp(value: datetime) -> str:
    # The SQLite store hands back naive UTC times (CURRENT_TIMESTAMP); LangGraph
    # Server always answers with an offset.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _item(item: Item) -> dict[str, Any]:
    return {
        "namespace": list(item.namespace),
        "key": item.key,
        "value": item.value,
        "created_at": _timestamp(item.created_at),
        "updated_at": _timestamp(item.updated_at),
    }


def _invalid(exc: ValueError) -> HTTPException:
    return HTTPException(status_code=422, detail=str(exc))


# --- routes -----------------------------------------------------------------------


@router.put("/items", status_code=204, response_class=Response, responses=_INVALID)
async def put_item(store: Store, body: StorePut) -> Response:
    try:
        await store.aput(
            tuple(body.namespace),
            body.key,
            body.value,
            index=body.index,
            # Absent (or null) means the store's default TTL, not "never expires":
            # the SDK leaves ttl out whenever it is None.
            ttl=body.ttl if body.ttl is not None else NOT_PROVIDED,
        )
    except InvalidNamespaceError as exc:
        raise _invalid(exc) from exc
    return Response(status_code=204)


@router.get("/items", responses={200: {"model": StoreItem}, **_INVALID})
async def get_item(
    store: Store,
    key: str = Query(...),
    namespace: list[str] | None = Query(
        None, description='Labels joined with "." (as the SDK sends it), or repeated.'
    ),
    refresh_ttl: bool | None = Query(None),
) -> Any:
    labels = _query_namespace(namespace)
    try:
        item = await store.aget(tuple(labels), key, refresh_ttl=refresh_ttl)
    except InvalidNamespaceError as exc:
        raise _invalid(exc) from exc
    # A missing item is 200 with a null body, as LangGraph Server answers.
    return None if item is None else _item(item)


def _query_namespace(values: list[str] | None) -> list[str]:
    if not values:
        return []
    # The SDK sends one "a.b.c" string; repeated parameters are the OpenAPI form.
    labels = values[0].split(".") if len(values) == 1 else values
    if labels == [""]:
        return []
    try:
        return _check_labels(labels)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"namespace: {exc}") from exc


@router.delete("/items", status_code=204, response_class=Response, responses=_INVALID)
async def delete_item(store: Store, body: StoreDelete) -> Response:
    try:
        await store.adelete(tuple(body.namespace), body.key)
    except InvalidNamespaceError as exc:
        raise _invalid(exc) from exc
    return Response(status_code=204)


@router.post("/items/search", responses={200: {"model": SearchItemsResponse}, **_INVALID})
async def search_items(store: Store, body: StoreSearch | None = Body(None)) -> Any:
    body = body or StoreSearch()
    try:
        items = await store.asearch(
            tuple(body.namespace_prefix or ()),
            query=body.query,
            filter=body.filter,
            limit=body.limit,
            offset=body.offset,
            refresh_ttl=body.refresh_ttl,
        )
    except ValueError as exc:
        # A malformed filter (bad key, unknown "$op") is the caller's mistake.
        raise _invalid(exc) from exc
    return {"items": [{**_item(item), "score": item.score} for item in items]}


@router.post("/namespaces", responses={200: {"model": ListNamespacesResponse}, **_INVALID})
async def list_namespaces(store: Store, body: StoreListNamespaces | None = Body(None)) -> Any:
    body = body or StoreListNamespaces()
    try:
        namespaces = await store.alist_namespaces(
            prefix=tuple(body.prefix) if body.prefix else None,
            suffix=tuple(body.suffix) if body.suffix else None,
            max_depth=body.max_depth,
            limit=body.limit,
            offset=body.offset,
        )
    except InvalidNamespaceError as exc:
        raise _invalid(exc) from exc
    return {"namespaces": [list(namespace) for namespace in namespaces]}
