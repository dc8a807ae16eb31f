"""Connection settings shared by tap-forcemanager and target-forcemanager, declared once.

The private key may be left out of the config: it is then read from `FORCEMANAGER_PRIVATE_KEY`.
meltano.yml maps no secret into the plugins' config, so Meltano never writes the key into the
run's config file; the plugins get it from the environment Meltano passes down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from forcemanager_client.client import DEFAULT_BASE_URL, DEFAULT_REQUESTS_PER_SECOND
from forcemanager_client.exceptions import ForceManagerError

if TYPE_CHECKING:
    from singer_sdk import typing as th

#: The environment variable the private key falls back to (docs/contracts.md section 2).
PRIVATE_KEY_VARIABLE = "FORCEMANAGER_PRIVATE_KEY"


def connection_properties() -> list[th.Property]:
    """Return the settings every ForceManager plugin declares (credentials marked secret)."""
    # The plugins' config schema only: a client outside a plugin (the access check) runs without
    # the Singer SDK's import.
    from singer_sdk import typing as th  # noqa: PLC0415

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
            secret=True,
            title="Private key",
            description=f"API private key (default: the {PRIVATE_KEY_VARIABLE} variable).",
        ),
        th.Property(
            "requests_per_second",
            th.NumberType,
            default=DEFAULT_REQUESTS_PER_SECOND,
            title="Requests per second",
            description="Client-side rate limit for every call, login included (plans: 4 or 13).",
        ),
    ]


def private_key(config: Mapping[str, Any]) -> str:
    """Return the private key: the config's, else `FORCEMANAGER_PRIVATE_KEY`.

    An empty value (Meltano expands an unset `${VAR}` to "") counts as unset.

    Raises:
        ForceManagerError: neither holds a key.
    """
    key = config.get("private_key") or os.environ.get(PRIVATE_KEY_VARIABLE)
    if not key:
        msg = f"No ForceManager private key: set {PRIVATE_KEY_VARIABLE} (or private_key)."
        raise ForceManagerError(msg)
    return str(key)
