"""The fault injection a server runs with, set at start by the CLI and at runtime by an admin call.

`POST /__sandbox/faults` sends the complete new setting: a key left out is off, so `{}` clears
every fault (docs/contracts.md section 2).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


class FaultSettingError(ValueError):
    """A fault setting no server could honour (answered 400 by the admin route)."""


@dataclass(frozen=True)
class Faults:
    """One server's fault injection.

    Attributes:
        fail_rate: Share (0..1) of API calls answered with the API's transient 503.
        latency_ms: Latency added to every API call, in milliseconds.
        rate_limit: Requests per second admitted before 429 (ForceManager); None = no limit.
        reset_share: Share (0..1) of the injected failures that, instead of a 503, start the
            503 response and close the connection mid-body (a connection reset the client sees
            as a broken read). The reset happens before the API handles the request, so the
            request was never applied and sending it again is always safe. 0 by default, so a
            `fail_rate` alone keeps meaning "that share answers a 5xx".
    """

    fail_rate: float = 0.0
    latency_ms: int = 0
    rate_limit: float | None = None
    reset_share: float = 0.0

    def __post_init__(self) -> None:
        """Reject values out of range.

        Raises:
            FaultSettingError: If a value is out of range.
        """
        if not 0.0 <= self.fail_rate <= 1.0:
            raise FaultSettingError(f"fail_rate must be within 0..1, got {self.fail_rate}")
        if not 0.0 <= self.reset_share <= 1.0:
            raise FaultSettingError(f"reset_share must be within 0..1, got {self.reset_share}")
        if self.latency_ms < 0:
            raise FaultSettingError(f"latency_ms must not be negative, got {self.latency_ms}")
        if self.rate_limit is not None and not (
            math.isfinite(self.rate_limit) and self.rate_limit > 0
        ):
            raise FaultSettingError(f"rate_limit must be positive, got {self.rate_limit}")

    @classmethod
    def from_body(cls, body: Any) -> Faults:
        """Read the JSON body of `POST /__sandbox/faults`; missing or null keys are off.

        Args:
            body: The decoded body.

        Returns:
            The new setting.

        Raises:
            FaultSettingError: If the body is not an object of known, numeric, in-range keys.
        """
        if not isinstance(body, dict):
            raise FaultSettingError('expected a JSON object such as {"fail_rate": 0.1}')
        unknown = set(body) - {"fail_rate", "latency_ms", "rate_limit", "reset_share"}
        if unknown:
            raise FaultSettingError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        for key, value in body.items():
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if value is not None and not numeric:
                raise FaultSettingError(f"{key} must be a number, got {value!r}")
        rate = body.get("rate_limit")
        latency = body.get("latency_ms") or 0
        if latency != int(latency):
            raise FaultSettingError(f"latency_ms must be a whole number, got {latency}")
        return cls(
            fail_rate=float(body.get("fail_rate") or 0.0),
            latency_ms=int(latency),
            rate_limit=float(rate) if rate else None,  # 0 reads as "no limit" too
            reset_share=float(body.get("reset_share") or 0.0),
        )

    def as_dict(self) -> dict[str, Any]:
        """The setting as the admin route answers it."""
        return asdict(self)
