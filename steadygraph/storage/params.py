"""Bind parameters of the store's prebuilt statements (built once, at import,
and run with values: building a statement can cost more than running it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, bindparam


def param(name: str, column: Any) -> BindParameter[Any]:
    """A parameter typed as `column`. In an UPDATE or INSERT its name must not
    be a column's name."""
    return bindparam(name, type_=column.type)
