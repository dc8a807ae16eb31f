"""Connection settings shared by tap-forcemanager and target-forcemanager, declared once."""

from __future__ import annotations

from singer_sdk import typing as th

from forcemanager_client.client import DEFAULT_BASE_URL, DEFAULT_REQUESTS_PER_SECOND


def connection_properties() -> list[th.Property]:
    """Return the settings every ForceManager plugin declares (credentials marked secret)."""
    return [
        th.Property(
            "base_url",
            th.StringType,
            default=DEFAULT_BASE_URL,
            title="Base URL",
            description="ForceManager API base URL, up to and including `/api/v4`.",
        ),
        th.Property(
            "public_key",
            th.StringType,
            required=True,
            secret=True,
            title="Public key",
            description="API public key (Settings > Integrations > API key).",
        ),
        th.Property(
            "private_key",
            th.StringType,
            required=True,
            secret=True,
            title="Private key",
            description="API private key.",
        ),
        th.Property(
            "requests_per_second",
            th.NumberType,
            default=DEFAULT_REQUESTS_PER_SECOND,
            title="Requests per second",
            description="Client-side rate limit for every call, login included (plans: 4 or 13).",
        ),
    ]
