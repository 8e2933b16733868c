"""The one JSON "contains" filter: what a `metadata` or `values` filter matches.

LangGraph Server answers these filters with PostgreSQL's jsonb containment
(`document @> filter`), so that is the meaning everywhere here:

* an object contains an object when each of the filter's keys is present and
  its value contains the filter's value (recursively: `{"a": {"b": 1}}` matches
  `{"a": {"b": 1, "c": 2}}`);
* an array contains an array when each element of the filter's array is
  contained in some element of it (order and repetition do not matter:
  `{"tags": ["x"]}` matches `{"tags": ["y", "x"]}`);
* scalars match when they are the same JSON value: `1` matches `1.0`, but
  `true` does not match `1` and `"1"` does not match `1`;
* a scalar never matches an array or an object (`{"tags": "x"}` does not match
  `{"tags": ["x"]}`).

`contains` is the pure-Python reading (for records that are not rows, such as
crons); `contains_clause` is the same test as SQL, `@>` on PostgreSQL and the
equivalent over `json_each`/`json_type` on SQLite.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, cast, false, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["contains", "contains_clause"]

_SQLITE_MIN_INT, _SQLITE_MAX_INT = -(2**63), 2**63 - 1


def contains(document: Any, wanted: Any) -> bool:
    """Whether `document` contains `wanted`, as jsonb's `@>` decides it."""
    if isinstance(wanted, Mapping):
        return isinstance(document, Mapping) and all(
            key in document and contains(document[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list | tuple):
        return isinstance(document, list | tuple) and all(
            any(contains(item, element) for item in document) for element in wanted
        )
    return _same_scalar(document, wanted)


def _same_scalar(document: Any, wanted: Any) -> bool:
    # Python says True == 1; JSON keeps booleans and numbers apart.
    if isinstance(wanted, bool) or isinstance(document, bool):
        return document is wanted
    if isinstance(wanted, int | float):
        return isinstance(document, int | float) and document == wanted
    if wanted is None:
        return document is None
    return isinstance(document, str) and document == wanted


def contains_clause(column: Any, wanted: Mapping[str, Any], dialect: str) -> ColumnElement[bool]:
    """SQL true where the JSON `column` contains `wanted` (see `contains`)."""
    if dialect == "postgresql":
        # The dict itself, bound as JSONB: a json.dumps'd string would be
        # encoded once more by the JSONB type and never match.
        return column.op("@>")(cast(dict(wanted), JSONB))
    names = (f"jf_{n}" for n in itertools.count())
    root = _Node(type=func.json_type(column), atom=func.json_extract(column, "$"), json=column)
    return _sqlite_contains(root, dict(wanted), names)


class _Node:
    """A JSON value inside a SQLite query: its json_type() name, its SQL value
    when a scalar, and its JSON text (to look inside when a container)."""

    def __init__(self, *, type: Any, atom: Any, json: Any) -> None:
        self.type = type
        self.atom = atom
        self.json = json


def _sqlite_contains(node: _Node, wanted: Any, names: Any) -> ColumnElement[bool]:
    if isinstance(wanted, Mapping):
        clauses = [node.type == "object"]
        for key, value in wanted.items():
            # json_each rather than a path: a key may hold any character,
            # and SQLite's path syntax cannot quote them all.
            member = func.json_each(node.json).table_valued("key", "type", "atom", "value")
            member = member.alias(next(names))
            inner = _Node(type=member.c.type, atom=member.c.atom, json=member.c.value)
            condition = and_(member.c.key == str(key), _sqlite_contains(inner, value, names))
            clauses.append(select(literal(1)).select_from(member).where(condition).exists())
        return and_(*clauses)
    if isinstance(wanted, list | tuple):
        clauses = [node.type == "array"]
        for element in wanted:
            item = func.json_each(node.json).table_valued("type", "atom", "value")
            item = item.alias(next(names))
            inner = _Node(type=item.c.type, atom=item.c.atom, json=item.c.value)
            condition = _sqlite_contains(inner, element, names)
            clauses.append(select(literal(1)).select_from(item).where(condition).exists())
        return and_(*clauses)
    return _sqlite_scalar(node, wanted)


def _sqlite_scalar(node: _Node, wanted: Any) -> ColumnElement[bool]:
    if wanted is None:
        return node.type == "null"
    if isinstance(wanted, bool):
        return node.type == ("true" if wanted else "false")
    if isinstance(wanted, int | float):
        if isinstance(wanted, int) and not _SQLITE_MIN_INT <= wanted <= _SQLITE_MAX_INT:
            # SQLite cannot bind it, and reads such a number in stored JSON as a real.
            try:
                wanted = float(wanted)
            except OverflowError:
                return false()
        return and_(node.type.in_(("integer", "real")), node.atom == wanted)
    if isinstance(wanted, str):
        return and_(node.type == "text", node.atom == wanted)
    raise TypeError(f"not a JSON value: {wanted!r}")
