"""The bodies of store requests, as LangGraph Server and langgraph_sdk send them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from steadygraph.request_body import MAX_OFFSET, MAX_TTL_MINUTES, RequestBody

# LangGraph's PostgreSQL store writes a TTL into SQL as "<seconds> seconds",
# which PostgreSQL cannot read once Python prints it with an exponent (below
# 1e-4 s). A thousandth of a minute (60 ms) is far above that and below any use.
MIN_TTL_MINUTES = 0.001
# ... and compares namespace depths as PostgreSQL integers.
MAX_DEPTH = 2**31 - 1


def check_labels(labels: list[str]) -> list[str]:
    # LangGraph joins labels with "." when storing them, so a "." inside a label
    # would silently address another namespace.
    for label in labels:
        if not label:
            raise ValueError("namespace labels must be non-empty strings")
        if "." in label:
            raise ValueError(f"namespace label {label!r} must not contain '.'")
        if "\x00" in label:
            raise ValueError(f"namespace label {label!r} must not contain NUL characters")
    return labels


def _check_item_namespace(labels: list[str]) -> list[str]:
    check_labels(labels)
    if not labels:
        raise ValueError("namespace must have at least one label")
    if labels[0] == "langgraph":
        raise ValueError('namespace must not start with "langgraph" (reserved)')
    return labels


class StorePut(RequestBody):
    namespace: list[str]
    key: str
    value: dict[str, Any]
    index: Literal[False] | list[str] | None = Field(
        None, description="null: the store's `fields`; false: not indexed; or field paths."
    )
    ttl: float | None = Field(
        None,
        ge=MIN_TTL_MINUTES,
        le=MAX_TTL_MINUTES,
        description="Minutes; null uses the store's default.",
    )

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, labels: list[str]) -> list[str]:
        return _check_item_namespace(labels)

    @field_validator("index", mode="wrap")
    @classmethod
    def _index(cls, value: Any, handler: Any) -> Any:
        # One message instead of one per member of the union.
        try:
            return handler(value)
        except ValueError:
            raise ValueError("must be false, null or a list of field paths") from None


class StoreDelete(RequestBody):
    namespace: list[str] = Field(default_factory=list)
    key: str

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, labels: list[str]) -> list[str]:
        return check_labels(labels)


class StoreSearch(RequestBody):
    namespace_prefix: list[str] | None = None
    filter: dict[str, Any] | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    query: str | None = None
    refresh_ttl: bool | None = None

    @field_validator("namespace_prefix")
    @classmethod
    def _prefix(cls, labels: list[str] | None) -> list[str] | None:
        return None if labels is None else check_labels(labels)


class StoreListNamespaces(RequestBody):
    prefix: list[str] | None = None
    suffix: list[str] | None = None
    max_depth: int | None = Field(None, ge=1, le=MAX_DEPTH)
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    @field_validator("prefix", "suffix")
    @classmethod
    def _labels(cls, labels: list[str] | None) -> list[str] | None:
        return None if labels is None else check_labels(labels)
