"""Helpers of the tap-salesforce tests: sandbox config and an in-process tap run."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

from crmsync_sandbox.testing import SandboxProcess
from tap_salesforce.tap import TapSalesforce


@dataclass
class TapRun:
    """What one tap run wrote."""

    exit_code: int = 0
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)


def sandbox_config(sandbox: SandboxProcess, **overrides: Any) -> dict[str, Any]:
    """Password-flow config for a sandbox, with overrides."""
    env = sandbox.env
    config: dict[str, Any] = {
        "login_url": env["SALESFORCE_LOGIN_URL"],
        "client_id": env["SALESFORCE_CLIENT_ID"],
        "client_secret": env["SALESFORCE_CLIENT_SECRET"],
        "username": env["SALESFORCE_USERNAME"],
        "password": env["SALESFORCE_PASSWORD"],
        "security_token": env["SALESFORCE_SECURITY_TOKEN"],
    }
    config.update(overrides)
    return config


def run_tap(
    config: dict[str, Any], state: dict | None = None, catalog: dict | None = None
) -> TapRun:
    """Run the tap in process and parse its Singer output."""
    out = io.StringIO()
    run = TapRun()
    with contextlib.redirect_stdout(out):
        tap = TapSalesforce(config=config, state=state, catalog=catalog, parse_env_config=False)
        try:
            tap.sync_all()
        except SystemExit as exc:
            run.exit_code = int(exc.code or 0)
    for line in out.getvalue().splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
        elif message["type"] == "STATE":
            run.state = message["value"]
        elif message["type"] == "SCHEMA":
            run.schemas[message["stream"]] = message["schema"]
    return run
