"""Temporal's client config (temporalio.envconfig) reaches the real server: a profile
from a TOML file, TEMPORAL_* variables over it, and mutual TLS with a private CA.

`temporal server start-dev` serves plain gRPC only, so the TLS test puts a
TLS-terminating proxy in front of it that demands a client certificate from the
test CA: a connection succeeds only if the CA, the client certificate and its key
from the config are really used."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from steadygraph.config.settings import Settings, SettingsError
from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.temporal.client import connect

TEMPORAL_VARIABLES = (
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "TEMPORAL_TLS",
    "TEMPORAL_PROFILE",
    "TEMPORAL_CONFIG_FILE",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_NAME",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TEMPORAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


async def _namespace_of(settings: Settings) -> str:
    client = await connect(settings)
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    return described.namespace_info.name


async def test_profile_file_and_variables_select_the_server(
    temporal_server: EmbeddedTemporal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text(
        '[profile.default]\naddress = "127.0.0.1:1"\n\n'
        f'[profile.local]\naddress = "{temporal_server.address}"\nnamespace = "elsewhere"\n'
    )
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
    monkeypatch.setenv("TEMPORAL_PROFILE", "local")
    # The variable wins over the profile's namespace.
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "default")

    settings = Settings.from_env()

    assert (settings.temporal_address, settings.temporal_namespace) == (
        temporal_server.address,
        "default",
    )
    assert await _namespace_of(settings) == "default"


def test_an_unknown_profile_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text('[profile.default]\naddress = "127.0.0.1:7233"\n')
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
    monkeypatch.setenv("TEMPORAL_PROFILE", "prod")
    with pytest.raises(SettingsError, match=r"^Temporal client config \(.*TEMPORAL_PROFILE=prod"):
        Settings.from_env()


def test_a_missing_certificate_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "client.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "client.key"))
    with pytest.raises(SettingsError, match=r"cannot read .*client\.pem: No such file"):
        Settings.from_env()


# --- mutual TLS ------------------------------------------------------------------


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    usage: x509.ObjectIdentifier | None = None,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is None:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        assert usage is not None
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _write(path: Path, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    path.with_suffix(".pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    ca_key = _key()
    ca = _certificate("steadygraph test CA", ca_key, None)
    _write(tmp_path / "ca", ca, ca_key)
    for name, usage in (
        ("server", ExtendedKeyUsageOID.SERVER_AUTH),
        ("client", ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
        key = _key()
        _write(tmp_path / name, _certificate(name, key, (ca, ca_key), usage), key)
    return tmp_path


@contextlib.asynccontextmanager
async def mtls_proxy(pki: Path, upstream: str) -> AsyncIterator[str]:
    """A TLS endpoint on a free loopback port requiring a client certificate from
    the test CA, forwarding the decrypted gRPC stream to `upstream`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=pki / "ca.pem")
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    host, port = upstream.rsplit(":", 1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def test_mutual_tls_from_the_environment(
    temporal_server: EmbeddedTemporal, pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with mtls_proxy(pki, temporal_server.address) as address:
        monkeypatch.setenv("TEMPORAL_ADDRESS", address)
        monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(pki / "ca.pem"))
        monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "localhost")
        # Without a client certificate the proxy refuses the handshake.
        with pytest.raises(RuntimeError):
            await _namespace_of(Settings.from_env())

        monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(pki / "client.pem"))
        monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(pki / "client.key"))
        settings = Settings.from_env()
        tls = settings.temporal_connect["tls"]
        assert tls.client_cert == (pki / "client.pem").read_bytes()
        assert tls.server_root_ca_cert == (pki / "ca.pem").read_bytes()
        assert await _namespace_of(settings) == "default"


async def test_mutual_tls_from_a_profile_file(
    temporal_server: EmbeddedTemporal, pki: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with mtls_proxy(pki, temporal_server.address) as address:
        config = tmp_path / "temporal.toml"
        config.write_text(
            f'[profile.secure]\naddress = "{address}"\nnamespace = "default"\n\n'
            "[profile.secure.tls]\n"
            f'server_ca_cert_path = "{pki / "ca.pem"}"\n'
            'server_name = "localhost"\n'
            f'client_cert_path = "{pki / "client.pem"}"\n'
            f'client_key_path = "{pki / "client.key"}"\n'
        )
        monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
        monkeypatch.setenv("TEMPORAL_PROFILE", "secure")
        assert await _namespace_of(Settings.from_env()) == "default"
