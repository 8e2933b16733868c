"""JSON-RPC 2.0 envelopes, as both MCP and A2A carry them over HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

RequestId = StrictStr | StrictInt


class RpcError(Exception):
    """A JSON-RPC error answer; raised anywhere in a method, sent as `error`."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow")
    jsonrpc: Literal["2.0"]
    id: RequestId | None = None
    method: StrictStr | None = None
    params: dict[str, Any] | list[Any] | None = None


@dataclass(frozen=True)
class Message:
    """One parsed envelope. `kind` tells a request (answer expected) from a
    notification (no id) and from a response the peer sent us."""

    kind: Literal["request", "notification", "response"]
    id: str | int | None
    method: str
    params: dict[str, Any]


def parse(body: bytes) -> Message:
    """The envelope in `body`; RpcError(-32700) for bad JSON, (-32600) for
    anything that is not a single JSON-RPC 2.0 message."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RpcError(PARSE_ERROR, "Parse error: the body is not valid JSON") from exc
    if not isinstance(raw, dict):
        raise RpcError(INVALID_REQUEST, "Invalid Request: expected one JSON-RPC message object")
    try:
        envelope = _Envelope.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "message" for e in exc.errors())
        raise RpcError(
            INVALID_REQUEST, f"Invalid Request: bad or missing {fields} (JSON-RPC 2.0)"
        ) from exc
    has_id = "id" in envelope.model_fields_set
    if envelope.method is None:
        if has_id and ("result" in raw or "error" in raw):
            return Message("response", envelope.id, "", {})
        raise RpcError(INVALID_REQUEST, "Invalid Request: 'method' is required")
    if isinstance(envelope.params, list):
        raise RpcError(INVALID_PARAMS, "Invalid params: expected an object")
    kind: Literal["request", "notification"] = "request" if has_id else "notification"
    return Message(kind, envelope.id, envelope.method, envelope.params or {})


def result(request_id: str | int | None, value: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": value}


def error(request_id: str | int | None, exc: RpcError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.data is not None:
        body["data"] = exc.data
    return {"jsonrpc": "2.0", "id": request_id, "error": body}


def accepts(accept_header: str | None, media_type: str) -> bool:
    """Whether an Accept header admits `media_type` (wildcards included)."""
    kind = media_type.split("/", 1)[0]
    for item in (accept_header or "").split(","):
        candidate = item.split(";", 1)[0].strip().lower()
        if candidate in (media_type, "*/*", f"{kind}/*"):
            return True
    return False
