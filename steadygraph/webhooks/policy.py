"""Run webhooks: the URL policy applied to a run's `webhook`, and the POST that
reports a finished run to it.

The policy is langgraph.json's `webhooks` block, with LangGraph Server's keys,
defaults and 422 messages:

* `webhooks.url.require_https` - false when there is no `webhooks.url` block, true
  as soon as one exists (even `{}`): "Webhook must use https".
* `webhooks.url.max_url_length` - 4096 without a `url` block, 2048 with one:
  "Webhook URL too long".
* `webhooks.url.allowed_ports` - checked against the URL's port, or 443/80 when it
  has none: "Webhook port 8080 not allowed".
* `webhooks.url.allowed_domains` - exact hosts and `*.example.com` (subdomains only,
  not the apex): "Webhook domain not allowed". A host that an entry names is trusted
  outright: none of the address checks below apply to it, which is how an operator
  allows one internal or loopback target without opening the whole range.
* `webhooks.url.disable_loopback` (default true) - blocks 127.0.0.0/8 and ::1
  ("Webhook host blocked: loopback IP range"), the names localhost,
  localhost.localdomain, *.localhost and host.docker.internal ("Webhook host blocked:
  localhost address") and relative URLs. `false` allows loopback targets. Relative
  URLs are refused either way: LangGraph Server posts them into its own app, and a
  Steadygraph worker is not the API process, so there is no app to post into.
* `webhooks.url.disable_private_ips` (default false) - LangGraph Server's runtime
  key, not in the CLI schema: blocks 10/8, 172.16/12, 192.168/16, 100.64/10 and
  fc00::/7 ("Webhook host blocked: private IP range"). Private ranges are allowed by
  default because a self-hosted server posting to a service on its own network is
  the normal case, not an attack.
* Always blocked, whatever the config (unless the host is in `allowed_domains`):
  link-local (169.254/16, fe80::/10, which holds most cloud metadata services),
  0.0.0.0/8, multicast, reserved and documentation ranges, IPv4-mapped and NAT64
  IPv6 forms (they would smuggle any IPv4 address past these rules) - "Webhook host
  blocked: blocked IP range"; known cloud metadata names and addresses - "... cloud
  metadata endpoint"; `*.svc.cluster.local` - "... Kubernetes internal DNS"; schemes
  other than http/https - "... scheme 'ftp' not allowed".
* `webhooks.headers` are sent with every POST. Values may hold `${{ env.VAR }}`,
  resolved once from the process environment when the policy is built; VAR must
  start with `webhooks.env_prefix` (default "LG_WEBHOOK_"), so a config cannot leak
  arbitrary variables.
* `webhooks.allowed_fields` (runtime key, not in the CLI schema) limits the payload
  to the listed top-level keys; `http.disable_webhooks: true` accepts runs with a
  webhook but never sends it.

Hostnames are not resolved by `check`, which the API calls when a run is created: it
sees IP literals (including the shorthand IPv4 forms like `127.1` or `2130706433`
that resolvers accept) and the names above, so it answers without network access
and without stalling a request on DNS. `check_resolved` applies the same address
rules to what a hostname resolves to; `deliver` runs both before every request it
sends (redirects included), so a name pointing at a blocked address is refused at
delivery time. A DNS answer that changes between that check and the connection
(rebinding) is not covered.

What the workflow hands the webhook activity (`WebhookInput`) and the activity's
name are part of `steadygraph.temporal.contract`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from steadygraph.config.project import ConfigError, json_type

__all__ = [
    "WebhookDeliveryError",
    "WebhookPolicy",
    "WebhookRejected",
    "deliver",
]


class WebhookRejected(ValueError):
    """The URL breaks the project's webhook policy; the message is the 422 detail."""


class WebhookDeliveryError(Exception):
    """The POST did not get a 2xx answer.

    `retryable` is false for answers that a repeat cannot change (4xx other than
    408/429, too many redirects, an unusable URL).
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retryable = retryable


# --- address rules ---------------------------------------------------------------------

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_ALWAYS_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "169.254.0.0/16",  # link-local, home of most cloud metadata services
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
        "::ffff:0:0/96",  # IPv4-mapped
        "::/96",  # IPv4-compatible (deprecated), and ::
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
    )
)
_LOOPBACK = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128"))
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_METADATA_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.amazonaws.com", "instance-data"}
)
_LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "host.docker.internal"})
_K8S_INTERNAL_SUFFIX = ".svc.cluster.local"


def _in(addr: _Address, networks: tuple[_Network, ...]) -> bool:
    return any(addr.version == net.version and addr in net for net in networks)


def _normalise_host(host: str | None) -> str:
    # "localhost." is the same name as "localhost" to a resolver.
    host = (host or "").lower()
    return host[:-1] if host.endswith(".") else host


def _ip_literal(host: str) -> _Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # inet_aton also takes the forms a URL may smuggle past ip_address but a
    # resolver still connects to: "127.1", "2130706433", "0x7f.0.0.1".
    if not host or any(c.isspace() for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _is_localhost_name(host: str) -> bool:
    return host in _LOCALHOST_NAMES or host.endswith(".localhost")


def _blocked(reason: str) -> WebhookRejected:
    return WebhookRejected(f"Webhook host blocked: {reason}")


_LOOPBACK_DISABLED = (
    "Loopback webhooks (relative URLs and localhost) are disabled; set "
    "webhooks.url.disable_loopback to false in langgraph.json to allow them"
)
_RELATIVE_UNSUPPORTED = "Relative webhook URLs are not supported; use an absolute http(s) URL"


# --- policy ----------------------------------------------------------------------------

# Keys of the payload that `webhooks.allowed_fields` may keep.
PAYLOAD_FIELDS = frozenset(
    {
        "run_id",
        "thread_id",
        "assistant_id",
        "created_at",
        "updated_at",
        "metadata",
        "kwargs",
        "multitask_strategy",
        "status",
        "run_started_at",
        "run_ended_at",
        "webhook_sent_at",
        "values",
        "error",
    }
)


@dataclass(frozen=True)
class WebhookPolicy:
    """The project's webhook rules. `WebhookPolicy()` is a project with no
    `webhooks` block."""

    require_https: bool = False
    allowed_domains: tuple[str, ...] = ()
    allowed_ports: tuple[int, ...] = ()
    max_url_length: int = 4096
    disable_loopback: bool = True
    disable_private_ips: bool = False
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    allowed_fields: frozenset[str] | None = None
    disabled: bool = False  # http.disable_webhooks: runs keep their webhook, none is sent

    @classmethod
    def from_project_raw(
        cls,
        raw: Mapping[str, Any],
        *,
        environ: Mapping[str, str] | None = None,
        with_headers: bool = True,
        where: str = "langgraph.json",
    ) -> WebhookPolicy:
        """Read `webhooks` (and `http.disable_webhooks`) from a parsed langgraph.json.

        Header templates are resolved against `environ` (default: os.environ).
        `with_headers=False` skips them, for a process that checks URLs but never
        sends (the API), so it needs none of the secrets. Raises ConfigError.
        """
        http = raw.get("http")
        disabled = isinstance(http, Mapping) and http.get("disable_webhooks") is True
        cfg = raw.get("webhooks")
        if cfg is None:
            return cls(disabled=disabled)
        label = f"{where}: webhooks"
        if not isinstance(cfg, Mapping):
            raise ConfigError(f"{label}: must be an object, got {json_type(cfg)}")
        url_cfg = cfg.get("url")
        if url_cfg is not None and not isinstance(url_cfg, Mapping):
            raise ConfigError(f"{label}.url: must be an object, got {json_type(url_cfg)}")
        has_url_block = url_cfg is not None
        url_cfg = url_cfg or {}
        headers: dict[str, str] = {}
        if with_headers:
            headers = _render_headers(
                cfg.get("headers"),
                cfg.get("env_prefix", "LG_WEBHOOK_"),
                os.environ if environ is None else environ,
                label,
            )
        return cls(
            require_https=_bool(url_cfg, "require_https", has_url_block, f"{label}.url"),
            allowed_domains=_domains(url_cfg.get("allowed_domains"), f"{label}.url"),
            allowed_ports=_ports(url_cfg.get("allowed_ports"), f"{label}.url"),
            max_url_length=_max_length(
                url_cfg.get("max_url_length"), 2048 if has_url_block else 4096, f"{label}.url"
            ),
            disable_loopback=_bool(url_cfg, "disable_loopback", True, f"{label}.url"),
            disable_private_ips=_bool(url_cfg, "disable_private_ips", False, f"{label}.url"),
            headers=headers,
            allowed_fields=_fields(cfg.get("allowed_fields"), label),
            disabled=disabled,
        )

    def check(self, url: str) -> None:
        """Raise WebhookRejected, with LangGraph Server's 422 detail, for a URL the
        policy refuses. No DNS: see the module docstring."""
        if len(url) > self.max_url_length:
            raise WebhookRejected("Webhook URL too long")
        if url.startswith("/"):
            raise WebhookRejected(
                _LOOPBACK_DISABLED if self.disable_loopback else _RELATIVE_UNSUPPORTED
            )
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise WebhookRejected(f"Invalid webhook URL: {exc}") from exc
        scheme = parts.scheme.lower()
        if self.require_https and scheme != "https":
            raise WebhookRejected("Webhook must use https")
        if self.allowed_ports:
            effective = port if port is not None else (443 if scheme == "https" else 80)
            if effective not in self.allowed_ports:
                raise WebhookRejected(f"Webhook port {effective} not allowed")
        host = _normalise_host(parts.hostname)
        if not host:
            raise WebhookRejected(f"Invalid webhook hostname '{host}'")
        listed = self._listed(host)
        if self.allowed_domains and not listed:
            raise WebhookRejected("Webhook domain not allowed")
        if scheme not in ("http", "https"):
            raise _blocked(f"scheme '{scheme}' not allowed")
        if listed:
            return
        reason = self._host_reason(host)
        if reason is not None:
            raise _blocked(reason)

    async def check_resolved(self, url: str) -> None:
        """Apply the address rules to every address the URL's hostname resolves to.

        A name that does not resolve passes: the POST then fails to connect, which
        is a delivery error (retried), not a policy decision.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return  # `check` refuses it
        host = _normalise_host(parts.hostname)
        if not host or _ip_literal(host) is not None or self._listed(host):
            return
        if not self.disable_loopback and _is_localhost_name(host):
            return
        default_port = 443 if parts.scheme.lower() == "https" else 80
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port or default_port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):
            return
        for *_, sockaddr in infos:
            try:
                addr = ipaddress.ip_address(sockaddr[0])
            except ValueError:
                continue
            reason = self._address_reason(addr)
            if reason is not None:
                raise _blocked(reason)

    def payload_fields(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The payload as `webhooks.allowed_fields` lets it out."""
        if not self.allowed_fields:
            return dict(payload)
        return {k: v for k, v in payload.items() if k in self.allowed_fields}

    def _listed(self, host: str) -> bool:
        for entry in self.allowed_domains:
            if entry.startswith("*."):
                if host.endswith(entry[1:]):
                    return True
            elif host == entry:
                return True
        return False

    def _host_reason(self, host: str) -> str | None:
        addr = _ip_literal(host)
        if addr is not None:
            return self._address_reason(addr)
        if _is_localhost_name(host):
            return "localhost address" if self.disable_loopback else None
        if host in _METADATA_NAMES:
            return "cloud metadata endpoint"
        if host.endswith(_K8S_INTERNAL_SUFFIX):
            return "Kubernetes internal DNS"
        return None

    def _address_reason(self, addr: _Address) -> str | None:
        # Loopback first: ::1 also lies in ::/96, and disable_loopback=false must
        # be able to allow it.
        if _in(addr, _LOOPBACK):
            return "loopback IP range" if self.disable_loopback else None
        if _in(addr, _ALWAYS_BLOCKED):
            return "blocked IP range"
        if self.disable_private_ips and _in(addr, _PRIVATE):
            return "private IP range"
        if addr in _METADATA_ADDRESSES:
            return "cloud metadata endpoint"
        return None


# --- config parsing --------------------------------------------------------------------

_TEMPLATE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _bool(cfg: Mapping[str, Any], key: str, default: bool, label: str) -> bool:
    value = cfg.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(f"{label}.{key}: must be true or false, got {json_type(value)}")
    return value


def _domains(value: object, label: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(d, str) and d.strip() for d in value):
        raise ConfigError(f"{label}.allowed_domains: must be an array of non-empty strings")
    domains = []
    for entry in value:
        domain = _normalise_host(entry.strip())
        if "*" in domain and not (domain.startswith("*.") and "*" not in domain[2:]):
            raise ConfigError(
                f"{label}.allowed_domains: {entry!r}: a wildcard may only lead, as in "
                "'*.example.com'"
            )
        domains.append(domain)
    return tuple(domains)


def _ports(value: object, label: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in value
    ):
        raise ConfigError(f"{label}.allowed_ports: must be an array of port numbers (1-65535)")
    return tuple(value)


def _max_length(value: object, default: int, label: str) -> int:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{label}.max_url_length: must be a positive integer")
    return value


def _fields(value: object, label: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        raise ConfigError(f"{label}.allowed_fields: must be an array of strings")
    unknown = sorted(set(value) - PAYLOAD_FIELDS)
    if unknown:
        raise ConfigError(
            f"{label}.allowed_fields: unknown field {unknown[0]!r}; "
            f"valid fields are {', '.join(sorted(PAYLOAD_FIELDS))}"
        )
    return frozenset(value)


def _render_headers(
    value: object, prefix: object, environ: Mapping[str, str], label: str
) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}.headers: must be an object, got {json_type(value)}")
    if not isinstance(prefix, str):
        raise ConfigError(f"{label}.env_prefix: must be a string, got {json_type(prefix)}")
    rendered: dict[str, str] = {}
    for name, template in value.items():
        where = f"{label}.headers[{name!r}]"
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ConfigError(f"{where}: not a valid HTTP header name")
        if not isinstance(template, str):
            raise ConfigError(f"{where}: value must be a string, got {json_type(template)}")

        def substitute(match: re.Match[str], where: str = where) -> str:
            expression = match.group(1)
            if not expression.startswith("env."):
                raise ConfigError(
                    f"{where}: only ${{{{ env.VAR }}}} references are supported, "
                    f"got {match.group(0)!r}"
                )
            var = expression[len("env.") :].strip()
            if not var or "." in var:
                raise ConfigError(f"{where}: invalid environment reference {match.group(0)!r}")
            if not var.startswith(prefix):
                raise ConfigError(
                    f"{where}: environment variable {var!r} must start with the "
                    f"env_prefix {prefix!r}"
                )
            if var not in environ:
                raise ConfigError(f"{where}: environment variable {var!r} is not set")
            return environ[var]

        header = _TEMPLATE.sub(substitute, template)
        # A newline in a header value would let the config (or the environment)
        # inject headers or break the request.
        if any(c in header for c in "\r\n\0"):
            raise ConfigError(f"{where}: value contains a line break or NUL")
        rendered[name] = header
    return rendered


# --- delivery --------------------------------------------------------------------------

_MAX_REDIRECTS = 5


def _redacted(url: str) -> str:
    """The URL without credentials or query, which may hold tokens, for messages
    that end up in logs and Temporal's history."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme}://{netloc}{parts.path}"


async def deliver(
    url: str,
    payload: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    timeout_s: float = 10.0,
    policy: WebhookPolicy | None = None,
) -> int:
    """POST `payload` as JSON to `url`; return the 2xx status code.

    With a `policy`, each request (the first and every redirect, up to 5) must
    pass `policy.check` and `policy.check_resolved`, else WebhookRejected; without
    one, redirects are not followed. Raises WebhookDeliveryError on a connection
    error, a timeout or a non-2xx answer.
    """
    import httpx

    from steadygraph import __version__
    from steadygraph.graph.serde import dumps

    body = dumps(payload)
    request_headers = httpx.Headers(
        {"Content-Type": "application/json", "User-Agent": f"steadygraph/{__version__}"}
    )
    request_headers.update(dict(headers))
    event_hooks: dict[str, list[Any]] = {}
    if policy is not None:
        vetting = policy

        async def vet(request: httpx.Request) -> None:
            target = str(request.url)
            vetting.check(target)
            await vetting.check_resolved(target)

        event_hooks["request"] = [vet]

    where = _redacted(url)
    try:
        async with (
            httpx.AsyncClient(
                timeout=timeout_s,
                follow_redirects=policy is not None,
                max_redirects=_MAX_REDIRECTS,
                event_hooks=event_hooks,
            ) as client,
            # Streamed and never read: only the status matters, and a receiver
            # must not be able to make us buffer a large body.
            client.stream("POST", url, content=body, headers=request_headers) as response,
        ):
            status = response.status_code
    except httpx.TooManyRedirects as exc:
        raise WebhookDeliveryError(
            f"Webhook POST to {where}: more than {_MAX_REDIRECTS} redirects", retryable=False
        ) from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise WebhookDeliveryError(
            f"Webhook POST to {where}: unusable URL: {exc}", retryable=False
        ) from exc
    except httpx.HTTPError as exc:
        raise WebhookDeliveryError(
            f"Webhook POST to {where} failed: {type(exc).__name__}: {exc}"
        ) from exc
    if 200 <= status < 300:
        return status
    raise WebhookDeliveryError(
        f"Webhook POST to {where} answered {status}",
        status_code=status,
        retryable=status >= 500 or status in (408, 429),
    )
