"""The test CA and the server certificate of the HTTPS sandbox, kept in the data dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import certifi
import trustme

#: Names the certificate is valid for: clients reach the sandbox by either.
CERT_HOSTS = ("127.0.0.1", "localhost")
_TLS_DIR = "tls"


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the TLS material.

    Attributes:
        ca_cert: The test CA certificate (PEM).
        cert_chain: The server certificate followed by the CA (PEM).
        private_key: The server's private key (PEM).
        ca_bundle: certifi's CA bundle plus the test CA: what `REQUESTS_CA_BUNDLE` points at.
    """

    ca_cert: Path
    cert_chain: Path
    private_key: Path
    ca_bundle: Path


def ensure_tls(data_dir: Path) -> TlsFiles:
    """Create the CA and certificate on first use, reuse them afterwards, refresh the bundle.

    Args:
        data_dir: The sandbox data dir.

    Returns:
        The paths of the TLS files.
    """
    tls_dir = data_dir / _TLS_DIR
    files = TlsFiles(
        ca_cert=tls_dir / "ca.pem",
        cert_chain=tls_dir / "server-chain.pem",
        private_key=tls_dir / "server-key.pem",
        ca_bundle=data_dir / "ca-bundle.pem",
    )
    if not all(path.exists() for path in (files.ca_cert, files.cert_chain, files.private_key)):
        _issue(files, tls_dir)
    system_cas = Path(certifi.where()).read_text(encoding="utf-8")
    test_ca = files.ca_cert.read_text(encoding="utf-8")
    files.ca_bundle.write_text(f"{system_cas.rstrip()}\n{test_ca}", encoding="utf-8")
    return files


def _issue(files: TlsFiles, tls_dir: Path) -> None:
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    cert = ca.issue_cert(*CERT_HOSTS)
    ca.cert_pem.write_to_path(str(files.ca_cert))
    cert.private_key_pem.write_to_path(str(files.private_key))
    files.private_key.chmod(0o600)
    chain = b"".join(blob.bytes() for blob in cert.cert_chain_pems)
    files.cert_chain.write_bytes(chain)
