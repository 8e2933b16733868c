"""Errors of the service layer, each with the HTTP status LangGraph Server
answers for it. The API turns them into `{"detail": ...}` responses; other
callers (cron firings) record them."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400

    def __init__(self, detail: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # Sent as Retry-After: when the same request may succeed if resent.
        self.retry_after_s = retry_after_s


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class Invalid(ServiceError):
    status_code = 422


class Unavailable(ServiceError):
    status_code = 503
