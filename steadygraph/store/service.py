"""Store operations as the API answers them: items as JSON with offset-aware
times, and a namespace or filter the store refuses is the caller's mistake (422)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import NOT_PROVIDED, BaseStore, InvalidNamespaceError, Item

from steadygraph.auth import authorize
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


def _namespace(value: dict[str, Any]) -> tuple[str, ...]:
    """The namespace an `@auth.on.store` handler left in its value (it may rewrite it)."""
    namespace = value.get("namespace")
    return tuple(str(label) for label in namespace) if namespace else ()


# What LangGraph's stores accept in a search filter. The stores batch
# concurrent operations into one call, so a filter that fails inside the store
# fails every request batched with it: it is refused here, before it gets there.
_FILTER_OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})
# The SQLite store puts keys into its SQL and allows only these characters.
_SQLITE_FILTER_KEY = re.compile(r"^[a-zA-Z0-9_.-]+$")
# Values are serialised with orjson, which stops at 64-bit integers.
_INT_RANGE = range(-(2**63), 2**64)


def _check_ints(where: str, value: Any) -> None:
    """422 for an integer the store cannot serialise, anywhere in `value`."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool) and item not in _INT_RANGE:
            raise Invalid(f"{where} holds an integer out of range (64-bit integers only)")
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


def _check_filter(store: BaseStore, item_filter: dict[str, Any] | None) -> None:
    """422 for a filter the store would fail on."""
    sqlite_keys = type(store).__module__.startswith("langgraph.store.sqlite")
    for key, condition in (item_filter or {}).items():
        if sqlite_keys and not _SQLITE_FILTER_KEY.match(key):
            raise Invalid(
                f"Invalid filter key: {key!r}. Filter keys must contain only letters, "
                "digits, underscores, dots and hyphens."
            )
        if isinstance(condition, dict):
            for operator, operand in condition.items():
                if operator not in _FILTER_OPERATORS:
                    raise Invalid(
                        f"Unsupported filter operator {operator!r} on {key!r} "
                        f"(one of {', '.join(sorted(_FILTER_OPERATORS))})"
                    )
                _check_ints(f"filter {key!r}", operand)
        else:
            _check_ints(f"filter {key!r}", condition)


async def put_item(store: BaseStore, body: StorePut) -> None:
    value: dict[str, Any] = {
        "namespace": tuple(body.namespace),
        "key": body.key,
        "value": body.value,
        "index": body.index,
        "ttl": body.ttl,
    }
    _check_ints("value", body.value)
    await authorize("store", "put", value)
    try:
        await store.aput(
            _namespace(value),
            value["key"],
            value["value"],
            index=value["index"],
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
    value: dict[str, Any] = {"namespace": tuple(namespace), "key": key, "refresh_ttl": refresh_ttl}
    await authorize("store", "get", value)
    try:
        item = await store.aget(_namespace(value), value["key"], refresh_ttl=value["refresh_ttl"])
    except InvalidNamespaceError as exc:
        raise Invalid(str(exc)) from exc
    return None if item is None else _item(item)


async def delete_item(store: BaseStore, body: StoreDelete) -> None:
    value: dict[str, Any] = {"namespace": tuple(body.namespace), "key": body.key}
    await authorize("store", "delete", value)
    try:
        await store.adelete(_namespace(value), value["key"])
    except InvalidNamespaceError as exc:
        raise Invalid(str(exc)) from exc


async def search_items(store: BaseStore, body: StoreSearch) -> list[dict[str, Any]]:
    _check_filter(store, body.filter)
    value: dict[str, Any] = {
        "namespace": tuple(body.namespace_prefix or ()),
        "filter": body.filter,
        "limit": body.limit,
        "offset": body.offset,
        "query": body.query,
        "refresh_ttl": body.refresh_ttl,
    }
    auth_filter = await authorize("store", "search", value)
    item_filter = value["filter"]
    if auth_filter:
        # The handler's conditions win over the client's on the same key.
        item_filter = {**(item_filter or {}), **auth_filter}
    try:
        items = await store.asearch(
            _namespace(value),
            query=value["query"],
            filter=item_filter,
            limit=value["limit"],
            offset=value["offset"],
            refresh_ttl=value["refresh_ttl"],
        )
    except ValueError as exc:
        # A malformed filter (bad key, unknown "$op") is the caller's mistake.
        raise Invalid(str(exc)) from exc
    return [{**_item(item), "score": item.score} for item in items]


async def list_namespaces(store: BaseStore, body: StoreListNamespaces) -> list[list[str]]:
    value: dict[str, Any] = {
        "namespace": tuple(body.prefix) if body.prefix else None,
        "suffix": tuple(body.suffix) if body.suffix else None,
        "max_depth": body.max_depth,
        "limit": body.limit,
        "offset": body.offset,
    }
    await authorize("store", "list_namespaces", value)
    try:
        namespaces = await store.alist_namespaces(
            prefix=_namespace(value) or None,
            suffix=tuple(value["suffix"]) if value["suffix"] else None,
            max_depth=value["max_depth"],
            limit=value["limit"],
            offset=value["offset"],
        )
    except InvalidNamespaceError as exc:
        raise Invalid(str(exc)) from exc
    return [list(namespace) for namespace in namespaces]
