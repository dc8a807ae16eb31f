"""Counts the API calls a server answered, by route template."""

from __future__ import annotations

import threading
from collections import Counter


class CallCounter:
    """A thread-safe tally of served calls keyed by `"METHOD /path/template"`.

    Record ids in paths are already replaced by their template (`{id}`) by the caller, so
    the key space stays as small as the API's route table.
    """

    def __init__(self) -> None:
        """Start with no calls counted."""
        self._lock = threading.Lock()
        self._by_route: Counter[str] = Counter()

    def add(self, route: str) -> None:
        """Count one call.

        Args:
            route: `"METHOD /path/template"`, e.g. `"PUT /api/v4/accounts/{id}"`.
        """
        with self._lock:
            self._by_route[route] += 1

    def snapshot(self) -> dict[str, object]:
        """The calls counted since start or the last reset.

        Returns:
            `{"total": N, "by_route": {route: count}}`, total being the sum of by_route.
        """
        with self._lock:
            by_route = dict(sorted(self._by_route.items()))
        return {"total": sum(by_route.values()), "by_route": by_route}

    def reset(self) -> None:
        """Forget every call counted so far."""
        with self._lock:
            self._by_route.clear()
