"""The API budget guard, fed by the ``Sforce-Limit-Info`` header of every reply."""

from __future__ import annotations

import re
from dataclasses import dataclass

from salesforce_client.exceptions import ApiBudgetExceededError

LIMIT_HEADER = "Sforce-Limit-Info"
_API_USAGE = re.compile(r"(?:^|[;\s])api-usage=(\d+)/(\d+)")


def parse_api_usage(header: str | None) -> tuple[int, int] | None:
    """Read ``(used, allocation)`` out of a ``Sforce-Limit-Info`` header value.

    Args:
        header: the header value, e.g. ``api-usage=18/5000; per-app-api-usage=17/250(appName=x)``.

    Returns:
        The org-wide usage and allocation, or None when the header has none.
    """
    if not header:
        return None
    match = _API_USAGE.search(header)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


@dataclass
class ApiBudget:
    """Counts this run's API calls and stops the run before it spends too much.

    The run's own calls are counted here (the org-wide figure also moves with other
    apps' calls); the org-wide usage comes from the header.

    Attributes:
        max_share_per_run: share of the allocation this run may use.
        max_share_total: org-wide share past which the run stops.
        run_calls: API calls this run made so far.
        used: the org's usage as last reported.
        allocation: the org's daily allocation as last reported.
    """

    max_share_per_run: float
    max_share_total: float
    run_calls: int = 0
    used: int | None = None
    allocation: int | None = None

    def record_call(self, header: str | None) -> None:
        """Count one API call and remember the usage it reported.

        Args:
            header: the reply's ``Sforce-Limit-Info`` value, if any.
        """
        self.run_calls += 1
        usage = parse_api_usage(header)
        if usage:
            self.used, self.allocation = usage

    def check(self) -> None:
        """Refuse the next call when the budget is spent.

        Raises:
            ApiBudgetExceededError: with the figures, so the operator knows which cap hit.
        """
        if not self.allocation:
            return
        if self.run_calls > self.max_share_per_run * self.allocation:
            msg = (
                f"Salesforce API budget for this run spent: {self.run_calls} calls made, more "
                f"than max_api_share_per_run={self.max_share_per_run} of the daily allocation "
                f"of {self.allocation}. Stopping; the next run resumes from here."
            )
            raise ApiBudgetExceededError(msg)
        if self.used is not None and self.used > self.max_share_total * self.allocation:
            msg = (
                f"Salesforce org API usage is {self.used} of {self.allocation} calls, more than "
                f"max_api_share_total={self.max_share_total}. Stopping; the next run resumes "
                "from here."
            )
            raise ApiBudgetExceededError(msg)
