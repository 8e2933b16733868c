"""Custom auth of the test project: bearer tokens for two users and an admin.

Everyone sees and changes only what they own (metadata.owner); threads may be
shared for reading (metadata.readers); the admin sees everything; store items
live under the user's own namespace."""

from __future__ import annotations

from typing import Any

from langgraph_sdk import Auth

auth = Auth()

USERS = {
    "alice-token": {"identity": "alice", "display_name": "Alice", "permissions": ["user"]},
    "bob-token": {"identity": "bob", "display_name": "Bob", "permissions": ["user"]},
    "admin-token": {"identity": "root", "display_name": "Admin", "permissions": ["admin"]},
}


@auth.authenticate
async def authenticate(
    authorization: str | None, path: str, method: str
) -> Auth.types.MinimalUserDict:
    if not authorization:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Missing credentials")
    scheme, _, token = authorization.partition(" ")
    user = USERS.get(token) if scheme.lower() == "bearer" else None
    if user is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid token")
    return user


def _is_admin(ctx: Auth.types.AuthContext) -> bool:
    return "admin" in ctx.permissions


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType | None:
    """Everything without a handler of its own: one's own objects only."""
    if _is_admin(ctx):
        return None
    return {"owner": ctx.user.identity}


def _stamp(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    metadata = value.setdefault("metadata", {})
    if metadata is None:
        metadata = value["metadata"] = {}
    metadata["owner"] = ctx.user.identity
    metadata["readers"] = [ctx.user.identity]


@auth.on.threads.create
async def create_thread(
    ctx: Auth.types.AuthContext, value: Auth.types.on.threads.create.value
) -> None:
    _stamp(ctx, value)


@auth.on.threads(actions=["read", "search"])
async def read_threads(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType | None:
    if _is_admin(ctx):
        return None
    return {"readers": {"$contains": ctx.user.identity}}


@auth.on.threads.create_run
async def create_run(
    ctx: Auth.types.AuthContext, value: Auth.types.on.threads.create_run.value
) -> Auth.types.FilterType | None:
    _stamp(ctx, value)
    if _is_admin(ctx):
        return None
    return {"owner": {"$eq": ctx.user.identity}}


@auth.on.assistants.create
async def create_assistant(
    ctx: Auth.types.AuthContext, value: Auth.types.on.assistants.create.value
) -> None:
    _stamp(ctx, value)


@auth.on.crons.create
async def create_cron(ctx: Auth.types.AuthContext, value: Auth.types.on.crons.create.value) -> None:
    _stamp(ctx, value)


@auth.on.store
async def own_namespace(ctx: Auth.types.AuthContext, value: Any) -> None:
    namespace = tuple(value.get("namespace") or ())
    if not namespace or namespace[0] != ctx.user.identity:
        namespace = (ctx.user.identity, *namespace)
    value["namespace"] = namespace
