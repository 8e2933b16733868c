"""How to reach Temporal, as every Temporal tool reads it: `temporalio.envconfig`.

A TOML profile file (`TEMPORAL_CONFIG_FILE`, else Temporal's default location,
`~/.config/temporalio/temporal.toml`), its profile `TEMPORAL_PROFILE` (else
`default`), then the `TEMPORAL_*` variables over it (`TEMPORAL_ADDRESS`,
`TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`, `TEMPORAL_TLS_CLIENT_CERT_PATH`,
`TEMPORAL_TLS_CLIENT_KEY_PATH`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH`,
`TEMPORAL_TLS_SERVER_NAME`, `TEMPORAL_GRPC_META_*`, ...). Certificates are read
here, at start-up, so a missing file stops the process with one line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.envconfig import ClientConfigProfile
from temporalio.exceptions import TemporalError


class TemporalConfigError(ValueError):
    """The Temporal client configuration cannot be used; the message is one line."""


@dataclass(frozen=True)
class TemporalClientConfig:
    address: str | None = None
    namespace: str | None = None
    # The rest of Client.connect's arguments: api_key, tls, rpc_metadata.
    connect: Mapping[str, Any] = field(default_factory=dict)


def load_client_config(environ: Mapping[str, str] | None = None) -> TemporalClientConfig:
    """The selected profile with the environment laid over it, certificates read."""
    env = dict(os.environ if environ is None else environ)
    where = _describe_source(env)
    config_file = env.get("TEMPORAL_CONFIG_FILE")
    # envconfig treats a missing file as an empty one; a file named on purpose must exist.
    if config_file and not Path(config_file).exists():
        raise TemporalConfigError(f"TEMPORAL_CONFIG_FILE={config_file!r}: no such file")
    try:
        profile = ClientConfigProfile.load(override_env_vars=env)
        connect: dict[str, Any] = dict(profile.to_client_connect_config())
    except OSError as exc:
        raise TemporalConfigError(
            f"Temporal client config{where}: cannot read {exc.filename}: {exc.strerror}"
        ) from None
    # The SDK's core raises its ConfigError, a RuntimeError, for a bad file or profile.
    except (RuntimeError, TemporalError, ValueError) as exc:
        raise TemporalConfigError(f"Temporal client config{where}: {_one_line(exc)}") from None
    address = connect.pop("target_host", None)
    namespace = connect.pop("namespace", None)
    return TemporalClientConfig(address=address, namespace=namespace, connect=connect)


def _describe_source(env: Mapping[str, str]) -> str:
    names = ("TEMPORAL_CONFIG_FILE", "TEMPORAL_PROFILE")
    parts = [f"{name}={env[name]}" for name in names if name in env]
    return f" ({', '.join(parts)})" if parts else ""


def _one_line(exc: Exception) -> str:
    return " ".join(part.strip() for part in str(exc).splitlines() if part.strip(" |^"))
