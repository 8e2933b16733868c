"""Requests whose URL holds a NUL character answer 422.

Path and query values reach SQL as text (a checkpoint id, `before`, a store
key), and PostgreSQL cannot hold NUL in text; no id or key of the API has one.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class NoNulInUrl:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            response = JSONResponse(
                {"detail": "The URL must not contain NUL characters"}, status_code=422
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"").lower()
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query
