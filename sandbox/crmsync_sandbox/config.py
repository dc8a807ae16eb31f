"""The settings one `crmsync-sandbox serve` process runs with, shared by both servers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crmsync_sandbox.exceptions import SandboxConfigError

#: Records per object for each named size. `small` keeps test start-up instant, `medium` looks
#: like a small company's CRM, `large` is the volume the paging benchmark reads.
SIZE_PRESETS: dict[str, int] = {"small": 25, "medium": 1_000, "large": 100_000}

#: Loopback only: the sandboxes hold demo credentials and must never face a network.
DEFAULT_HOST = "127.0.0.1"

#: Salesforce's default session lifetime is two hours.
DEFAULT_SALESFORCE_TOKEN_TTL = 7_200

#: ForceManager sessions last about an hour (docs/reference-forcemanager.md 2.3).
DEFAULT_FORCEMANAGER_TOKEN_TTL = 3_600


@dataclass(frozen=True)
class SandboxConfig:
    """Options of one sandbox process (docs/contracts.md section 2).

    Attributes:
        data_dir: Folder holding the databases, TLS files, `sandbox.env` and `ready`.
        seed: Seed of the demo data and of the fault-injection RNG; None picks one at random.
        size: `small`, `medium`, `large` or a record count per object.
        empty: Seed only users and lookup lists, no records.
        bare_org: Make a new Salesforce org without `ForceManager_Id__c` on any object (what
            `crmsync setup salesforce` creates).
        latency_ms: Latency added to every API call.
        fail_rate: Share (0..1) of API calls answered with a transient 503.
        reset_share: Share (0..1) of those injected failures that are connection resets (the
            503 cut off mid-body) instead; 0 by default.
        forcemanager_rate_limit: Requests/s ForceManager admits before 429; None = no limit.
        salesforce_token_ttl: Lifetime of a Salesforce access token, in seconds.
        forcemanager_token_ttl: Lifetime of a ForceManager session key, in seconds.
        host: Interface both servers listen on.
        salesforce_port: HTTPS port of the Salesforce server; 0 picks a free one.
        forcemanager_port: HTTP port of the ForceManager server; 0 picks a free one.
        salesforce_http_port: Optional plain-HTTP port for the Salesforce server.
    """

    data_dir: Path
    seed: int | None = None
    size: str | int = "small"
    empty: bool = False
    bare_org: bool = False
    latency_ms: int = 0
    fail_rate: float = 0.0
    reset_share: float = 0.0
    forcemanager_rate_limit: float | None = None
    salesforce_token_ttl: int = DEFAULT_SALESFORCE_TOKEN_TTL
    forcemanager_token_ttl: int = DEFAULT_FORCEMANAGER_TOKEN_TTL
    host: str = DEFAULT_HOST
    salesforce_port: int = 0
    forcemanager_port: int = 0
    salesforce_http_port: int | None = None

    def __post_init__(self) -> None:
        """Reject option values no server could honour.

        Raises:
            SandboxConfigError: If a value is out of range.
        """
        record_count(self.size)
        if not 0.0 <= self.fail_rate <= 1.0:
            raise SandboxConfigError(f"fail rate must be within 0..1, got {self.fail_rate}")
        if not 0.0 <= self.reset_share <= 1.0:
            raise SandboxConfigError(f"reset share must be within 0..1, got {self.reset_share}")
        if self.latency_ms < 0:
            raise SandboxConfigError(f"latency must not be negative, got {self.latency_ms}")
        if self.forcemanager_rate_limit is not None and self.forcemanager_rate_limit <= 0:
            raise SandboxConfigError("the ForceManager rate limit must be positive")
        if min(self.salesforce_token_ttl, self.forcemanager_token_ttl) <= 0:
            raise SandboxConfigError("token lifetimes must be positive")

    @property
    def records_per_object(self) -> int:
        """How many demo records each object gets (0 with `empty`)."""
        return 0 if self.empty else record_count(self.size)


def record_count(size: str | int) -> int:
    """Turn a `--size` value into a record count per object.

    Args:
        size: A preset name (`small`, `medium`, `large`), a count, or a count as text.

    Returns:
        The number of records per object.

    Raises:
        SandboxConfigError: If the value is neither a preset nor a non-negative integer.
    """
    if isinstance(size, int):
        count = size
    elif size in SIZE_PRESETS:
        count = SIZE_PRESETS[size]
    elif size.isdigit():
        count = int(size)
    else:
        presets = ", ".join(SIZE_PRESETS)
        raise SandboxConfigError(f"size must be one of {presets} or a record count, got {size!r}")
    if count < 0:
        raise SandboxConfigError(f"size must not be negative, got {count}")
    return count
