"""Errors of the service layer, each with the HTTP status LangGraph Server
answers for it. The API turns them into `{"detail": ...}` responses; other
callers (cron firings) record them."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class Invalid(ServiceError):
    status_code = 422


class Unavailable(ServiceError):
    status_code = 503
