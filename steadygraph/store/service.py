"""Store operations as the API answers them: items as JSON with offset-aware
times, and a namespace or filter the store refuses is the caller's mistake (422)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import NOT_PROVIDED, BaseStore, InvalidNamespaceError, Item

from steadygraph.errors import Invalid
from steadygraph.store.request import StoreDelete, StoreListNamespaces, StorePut, StoreSearch


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


async def put_item(store: BaseStore, body: StorePut) -> None:
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
        raise Invalid(str(exc)) from exc


async def get_item(
    store: BaseStore, namespace: list[str], key: str, *, refresh_ttl: bool | None
) -> dict[str, Any] | None:
    """The item, or None if there is none (LangGraph Server answers 200 with null)."""
    try:
        item = await store.aget(tuple(namespace), key, refresh_ttl=refresh_ttl)
    except InvalidNamespaceError as exc:
        raise Invalid(str(exc)) from exc
    return None if item is None else _item(item)


async def delete_item(store: BaseStore, body: StoreDelete) -> None:
    try:
        await store.adelete(tuple(body.namespace), body.key)
    except InvalidNamespaceError as exc:
        raise Invalid(str(exc)) from exc


async def search_items(store: BaseStore, body: StoreSearch) -> list[dict[str, Any]]:
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
        raise Invalid(str(exc)) from exc
    return [{**_item(item), "score": item.score} for item in items]


async def list_namespaces(store: BaseStore, body: StoreListNamespaces) -> list[list[str]]:
    try:
        namespaces = await store.alist_namespaces(
            prefix=tuple(body.prefix) if body.prefix else None,
            suffix=tuple(body.suffix) if body.suffix else None,
            max_depth=body.max_depth,
            limit=body.limit,
            offset=body.offset,
        )
    except InvalidNamespaceError as exc:
        raise Invalid(str(exc)) from exc
    return [list(namespace) for namespace in namespaces]
