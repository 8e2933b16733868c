"""Authorization filters: what an auth handler returns to scope reads and writes.

A filter is a dict over an object's `metadata` (threads, assistants, crons;
runs go by their thread's), as the SDK defines it:

* `{"owner": "alice"}` and `{"owner": {"$eq": "alice"}}`: the key holds that value;
* `{"tags": {"$contains": "x"}}` / `{"$contains": ["x", "y"]}`: the key holds a
  list containing that element / all those elements;
* `{"$or": [f, g, ...]}` and `{"$and": [f, g, ...]}` (as LangGraph Server also
  accepts), combined with the other keys by AND.

Each leaf is a JSON containment test, so the same meaning is answered in
Python (`visible`) and in SQL (`filter_clause`) by `steadygraph.storage.json_filter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from steadygraph.errors import ServiceError
from steadygraph.storage.json_filter import contains, contains_clause

Filters = Mapping[str, Any]

_MAX_DEPTH = 3


class BadFilter(ServiceError):
    """The project's auth handler returned a filter this server cannot apply:
    the server's (the project's) fault, not the client's."""

    status_code = 500


# A filter as a tree: ("all" | "any", [children]) or ("contains", {key: value}).
_Node = tuple[str, Any]


def _tree(filters: Filters, depth: int = 0) -> _Node:
    if depth > _MAX_DEPTH:
        raise BadFilter("Auth handler returned a filter nested too deeply")
    if not isinstance(filters, Mapping):
        raise BadFilter(f"Auth handler returned a filter that is not a dict: {filters!r}")
    parts: list[_Node] = []
    for key, value in filters.items():
        if key in ("$or", "$and"):
            if not isinstance(value, list) or not value:
                raise BadFilter(f"Auth filter {key} must be a non-empty list of filters")
            kind = "any" if key == "$or" else "all"
            parts.append((kind, [_tree(group, depth + 1) for group in value]))
        elif isinstance(value, Mapping):
            if len(value) != 1:
                raise BadFilter(f"Auth filter on {key!r} must have exactly one operator")
            operator, operand = next(iter(value.items()))
            if operator == "$eq":
                parts.append(("contains", {key: operand}))
            elif operator == "$contains":
                elements = operand if isinstance(operand, list) else [operand]
                parts.append(("contains", {key: elements}))
            else:
                raise BadFilter(f"Auth filter operator {operator!r} is not supported")
        else:
            parts.append(("contains", {key: value}))
    return ("all", parts)


def check_filters(filters: Filters) -> None:
    """Raise BadFilter now for a filter no query could apply."""
    _tree(filters)


def visible(metadata: Mapping[str, Any] | None, filters: Filters | None) -> bool:
    """Whether an object with this metadata passes the filter (None: no filter)."""
    if not filters:
        return True
    return _matches(metadata or {}, _tree(filters))


def _matches(metadata: Mapping[str, Any], node: _Node) -> bool:
    kind, body = node
    if kind == "contains":
        return contains(metadata, body)
    results = (_matches(metadata, child) for child in body)
    return all(results) if kind == "all" else any(results)


def filter_clause(column: Any, filters: Filters | None, dialect: str) -> ColumnElement[bool]:
    """SQL true where the JSON `column` (a metadata column) passes the filter."""
    if not filters:
        return true()
    return _clause(column, _tree(filters), dialect)


def _clause(column: Any, node: _Node, dialect: str) -> ColumnElement[bool]:
    kind, body = node
    if kind == "contains":
        return contains_clause(column, body, dialect)
    children = [_clause(column, child, dialect) for child in body]
    if not children:
        return true()
    return and_(*children) if kind == "all" else or_(*children)
