"""The Dagster instance settings crmsync needs: one run per tenant, N runs per deployment."""

from __future__ import annotations

import os

import yaml

from crmsync_orchestrate.tenants import TENANT_TAG


def default_max_runs() -> int:
    """The deployment-wide limit of concurrent runs: the machine's cores."""
    return os.cpu_count() or 1


def instance_settings(max_runs: int | None = None) -> dict[str, object]:
    """`dagster.yaml`'s run queue: at most `max_runs` runs, one per tenant; no telemetry."""
    return {
        "concurrency": {
            "runs": {
                "max_concurrent_runs": max_runs or default_max_runs(),
                "tag_concurrency_limits": [
                    {"key": TENANT_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
                ],
            }
        },
        "telemetry": {"enabled": False},
    }


def instance_yaml(max_runs: int | None = None) -> str:
    header = (
        "# Dagster instance settings for crmsync (crmsync-orchestrate instance-yaml):\n"
        "# queued runs start at most max_concurrent_runs at once, and one per tenant.\n"
    )
    return header + yaml.safe_dump(instance_settings(max_runs), sort_keys=False)
