"""Tenant folders for local sandboxes: the `dev` command, the tests and the benchmark."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from crmsync_orchestrate.tenants import ENV_FILE, SETTINGS_FILE


def write_tenant(
    tenants_dir: Path, name: str, settings: dict[str, Any], variables: dict[str, str]
) -> Path:
    """Write (or replace) a tenant folder: its `sync.yml` and `tenant.env`."""
    folder = tenants_dir / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / SETTINGS_FILE).write_text(yaml.safe_dump(settings, sort_keys=False))
    lines = [f"{key}={value}" for key, value in variables.items()]
    (folder / ENV_FILE).write_text("\n".join(lines) + "\n")
    (folder / ENV_FILE).chmod(0o600)
    return folder


def sandbox_variables(sandbox_dir: Path, **extra: str) -> dict[str, str]:
    """A tenant of the local sandboxes in `sandbox_dir` (their `sandbox.env` holds the rest)."""
    return {
        "CRMSYNC_MELTANO_ENVIRONMENT": "sandbox",
        "CRMSYNC_ENV_FILE": str(sandbox_dir / "sandbox.env"),
        **extra,
    }


class WebhookReceiver:
    """A local HTTP endpoint that keeps the JSON bodies posted to it (alerts, in tests)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/crmsync"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
