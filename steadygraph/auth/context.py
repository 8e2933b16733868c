"""Who the current request (or cron firing) acts for.

Set once per request by the API's authentication middleware and read by the
services (`authorize`) and by run submission (the user a run sees). A
contextvar rather than a parameter: every service already takes the shared
`Services`, and the user must also reach code several calls down (run
submission from MCP, A2A and cron firings) without threading it through each.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from langgraph_sdk import Auth

from steadygraph.auth.users import AuthUser


@dataclass(frozen=True)
class Caller:
    """The authenticated user, and the project's `Auth` object whose handlers
    authorize what they do (None where nothing is enforced: a cron firing on a
    worker acts as its creator without asking the handlers again)."""

    user: AuthUser
    handlers: Auth | None = None

    @property
    def permissions(self) -> list[str]:
        return list(self.user.permissions)

    def run_configurable(self) -> dict[str, Any]:
        """What a run's `config.configurable` carries about its user, as in LangGraph Server."""
        return {
            "langgraph_auth_user": self.user.dict(),
            "langgraph_auth_user_id": self.user.identity,
            "langgraph_auth_permissions": self.permissions,
        }


_caller: ContextVar[Caller | None] = ContextVar("steadygraph_caller", default=None)


def current_caller() -> Caller | None:
    """The caller of the current request; None when no custom auth is configured."""
    return _caller.get()


@contextmanager
def acting_as(caller: Caller | None) -> Iterator[None]:
    token = _caller.set(caller)
    try:
        yield
    finally:
        _caller.reset(token)
