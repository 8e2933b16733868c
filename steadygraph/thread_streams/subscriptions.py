"""What a thread-stream subscriber asked for (`EventStreamRequest` /
`SubscribeParams`): channels, optionally namespaces (prefixes) and a depth
below them, and for a reconnect the position `since`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHANNELS = frozenset(
    {
        "values",
        "updates",
        "messages",
        "tools",
        "lifecycle",
        "input",
        "checkpoints",
        "tasks",
        "custom",
    }
)


class BadSubscription(ValueError):
    pass


@dataclass(frozen=True)
class Subscription:
    channels: frozenset[str]
    namespaces: tuple[tuple[str, ...], ...] | None = None
    depth: int | None = None
    since: int | None = None

    @classmethod
    def parse(cls, body: Any) -> Subscription:
        if not isinstance(body, dict):
            raise BadSubscription("The body must be a JSON object.")
        channels = body.get("channels")
        if not isinstance(channels, list) or not channels:
            raise BadSubscription("channels is required and must be a non-empty array")
        bad = [c for c in channels if not _known_channel(c)]
        if bad:
            raise BadSubscription(
                f"channels contains unsupported entries: {', '.join(map(str, bad[:5]))}. "
                f"Allowed: {', '.join(sorted(CHANNELS))}, or custom:<name>."
            )
        namespaces = body.get("namespaces")
        parsed_namespaces = None
        if isinstance(namespaces, list):
            parsed_namespaces = (
                tuple(
                    tuple(ns)
                    for ns in namespaces
                    if isinstance(ns, list) and all(isinstance(s, str) for s in ns)
                )
                or None
            )
        return cls(
            channels=frozenset(channels),
            namespaces=parsed_namespaces,
            depth=_natural(body.get("depth")),
            since=_natural(body.get("since")),
        )

    def matches(self, event: dict[str, Any]) -> bool:
        if not self._channel_matches(event):
            return False
        if self.namespaces is None:
            return True
        namespace = (event.get("params") or {}).get("namespace") or []
        return any(
            _is_prefix(namespace, prefix)
            and (self.depth is None or len(namespace) - len(prefix) <= self.depth)
            for prefix in self.namespaces
        )

    def _channel_matches(self, event: dict[str, Any]) -> bool:
        method = event.get("method")
        if method == "custom":
            if "custom" in self.channels:
                return True
            name = ((event.get("params") or {}).get("data") or {}).get("name")
            return isinstance(name, str) and f"custom:{name}" in self.channels
        if method == "input.requested":
            return "input" in self.channels
        return method in self.channels


def _known_channel(channel: Any) -> bool:
    return isinstance(channel, str) and (
        channel in CHANNELS or (channel.startswith("custom:") and len(channel) > len("custom:"))
    )


def _natural(value: Any) -> int | None:
    # bool is an int to Python; `"since": true` is not a position.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _is_prefix(namespace: list[str], prefix: tuple[str, ...]) -> bool:
    """Segment-wise; a prefix segment without `:task_id` matches any task of
    that name (`child` matches `child:1f0e…`)."""
    if len(prefix) > len(namespace):
        return False
    for want, have in zip(prefix, namespace, strict=False):
        if want == have:
            continue
        if ":" in want or have.partition(":")[0] != want:
            return False
    return True
