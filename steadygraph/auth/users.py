"""The authenticated user: what `@auth.authenticate` returned, made one shape.

A handler may return a string (the identity), a dict with `identity` (a
`MinimalUserDict`), or any object with an `identity` attribute. Authorization
handlers and graphs read it the way LangGraph Server hands it to them: by
attribute (`user.identity`) and by key (`user["identity"]`). What travels with
a run (`langgraph_auth_user`) is `AuthUser.dict()`, plain JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


class InvalidUser(TypeError):
    """`@auth.authenticate` returned something that is not a user."""


class AuthUser(Mapping[str, Any]):
    __slots__ = ("_data", "_source")

    def __init__(self, data: Mapping[str, Any], source: Any = None) -> None:
        identity = data.get("identity")
        if not isinstance(identity, str):
            raise InvalidUser(f"a user's identity must be a string, got {type(identity).__name__}")
        self._data: dict[str, Any] = {
            "identity": identity,
            "display_name": identity,
            "is_authenticated": True,
            "permissions": [],
            **data,
        }
        self._data["permissions"] = list(self._data.get("permissions") or [])
        # The object the handler returned, so its own attributes stay reachable.
        self._source = source

    @property
    def identity(self) -> str:
        return str(self._data["identity"])

    @property
    def display_name(self) -> str:
        return str(self._data["display_name"])

    @property
    def is_authenticated(self) -> bool:
        return bool(self._data["is_authenticated"])

    @property
    def permissions(self) -> Sequence[str]:
        return list(self._data["permissions"])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if self._source is not None and hasattr(self._source, name):
            return getattr(self._source, name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def dict(self) -> dict[str, Any]:
        """The user as JSON (values that are not JSON become strings)."""
        result = json.loads(json.dumps(self._data, default=str))
        assert isinstance(result, dict)
        return result

    def __repr__(self) -> str:
        return f"AuthUser({self._data!r})"


def _fields_of(user: Any) -> dict[str, Any]:
    """The attributes an object-shaped user carries, as a dict."""
    fields: dict[str, Any] = {}
    dump = getattr(user, "model_dump", None)
    as_dict = getattr(user, "dict", None)
    if callable(dump):
        fields.update(dump(mode="json"))
    elif callable(as_dict):
        fields.update(as_dict())
    elif isinstance(user, Mapping):
        fields.update(user)
    for name in ("identity", "display_name", "is_authenticated", "permissions"):
        try:
            value = getattr(user, name)
        except Exception:  # a property may raise (e.g. NotImplementedError)
            continue
        fields[name] = value
    return fields


def to_user(returned: Any) -> AuthUser:
    """The user `@auth.authenticate` returned, as LangGraph Server accepts it:
    a string, a mapping with `identity`, an object with `identity`, or a
    `(permissions, user)` pair."""
    permissions: Sequence[str] | None = None
    if isinstance(returned, tuple) and len(returned) == 2:
        permissions, returned = returned
    if isinstance(returned, AuthUser):
        user = returned
    elif isinstance(returned, str):
        user = AuthUser({"identity": returned})
    elif isinstance(returned, Mapping) and "identity" in returned:
        user = AuthUser(dict(returned))
    elif hasattr(returned, "identity"):
        user = AuthUser(_fields_of(returned), source=returned)
    else:
        raise InvalidUser(
            "@auth.authenticate must return a user: a string (the identity), a dict with "
            f"'identity', or an object with an identity attribute; got {type(returned).__name__}"
        )
    if permissions is not None:
        user = AuthUser({**user, "permissions": list(permissions)}, source=user._source)
    return user
