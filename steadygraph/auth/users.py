"""The authenticated user: what `@auth.authenticate` returned, made one shape.

A handler may return a string (the identity), a dict with `identity` (a
`MinimalUserDict`), or any object with an `identity` attribute. Authorization
handlers and graphs read it the way LangGraph Server hands it to them: by
attribute (`user.identity`) and by key (`user["identity"]`). What travels with
a run (`langgraph_auth_user`) is `AuthUser.dict()`, plain JSON, handed to the
graph as an `AuthUser` again (a dict, so it serialises wherever a dict does).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


class InvalidUser(TypeError):
    """`@auth.authenticate` returned something that is not a user."""


class AuthUser(dict[str, Any]):
    __slots__ = ("_source",)

    def __init__(self, data: Mapping[str, Any], source: Any = None) -> None:
        identity = data.get("identity")
        if not isinstance(identity, str):
            raise InvalidUser(f"a user's identity must be a string, got {type(identity).__name__}")
        super().__init__(
            {
                "identity": identity,
                "display_name": identity,
                "is_authenticated": True,
                "permissions": [],
                **data,
            }
        )
        self["permissions"] = list(self.get("permissions") or [])
        # The object the handler returned, so its own attributes stay reachable.
        self._source = source

    @property
    def identity(self) -> str:
        return str(self["identity"])

    @property
    def display_name(self) -> str:
        return str(self["display_name"])

    @property
    def is_authenticated(self) -> bool:
        return bool(self["is_authenticated"])

    @property
    def permissions(self) -> Sequence[str]:
        return list(self["permissions"])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if self._source is not None and hasattr(self._source, name):
            return getattr(self._source, name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def dict(self) -> dict[str, Any]:
        """The user as JSON (values that are not JSON become strings)."""
        result = json.loads(json.dumps(self, default=str))
        assert isinstance(result, dict)
        return result

    def __repr__(self) -> str:
        return f"AuthUser({super().__repr__()})"


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
