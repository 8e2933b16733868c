"""Error bodies as LangGraph Server sends them: always `{"detail": "<text>"}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from steadygraph.errors import ServiceError
from steadygraph.ids import parse_uuid

log = logging.getLogger(__name__)


def require_uuid(value: str, what: str) -> str:
    """Canonical UUID or a 422 naming the field, as LangGraph Server answers."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise HTTPException(status_code=422, detail=f"Invalid {what} ID: must be a UUID")
    return parsed


def _describe(error: dict) -> str:
    location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
    where = ".".join(location)
    if error.get("type") == "json_invalid":
        return "Invalid JSON in request body"
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse({"detail": "Invalid JSON in request body"}, status_code=422)
    detail = "\n".join(_describe(e) for e in errors) or "Invalid request"
    return JSONResponse({"detail": detail}, status_code=422)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # A bug must still answer JSON; the traceback goes to the log.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": f"Internal error: {type(exc).__name__}"}, status_code=500)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if not exc.connection_invalidated:
        return await _unexpected_error(request, exc)
    # The database went away under a pooled connection (a restart, a failover):
    # the pool has dropped its connections and the next try gets a fresh one.
    log.warning("database connection lost on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": "The database connection was lost; try again"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def _service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    # An auth handler's HTTPException may carry headers (e.g. WWW-Authenticate);
    # a busy thread tells the client when to retry.
    headers: dict[str, str] = dict(getattr(exc, "headers", None) or {})
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(exc.retry_after_s)
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=headers or None
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
