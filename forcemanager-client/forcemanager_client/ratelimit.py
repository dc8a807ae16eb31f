"""A thread-safe client-side rate limiter shared by every request of one client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: A slot is reserved this much later than the exact interval: the server measures arrival
#: times, which drift from our send times (thread wake-up on a busy machine, network). 2% leaves
#: 20 ms of slack per one-second window (the fm-writes benchmark reports the utilisation and
#: the 429s it gives).
SAFETY_MARGIN = 0.02

#: Each 429 the server still answers widens the margin by another `SAFETY_MARGIN`, up to this:
#: a server (or a machine) with more jitter than the default allows costs one or two retries per
#: run, not one every few seconds. At the cap the client uses 0.91 of the limit.
MAX_SAFETY_MARGIN = 0.10


class RateLimiter:
    """Spaces calls evenly at no more than `rate` per second, across all threads.

    Each caller reserves the next free time slot under a lock and sleeps outside it, so N
    threads together never exceed the rate and never burst: a server that counts requests in
    any one-second window sees at most `rate` of them.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create a limiter.

        Args:
            rate: Requests per second; 0 or less disables the limit.
            clock: Monotonic clock (injected by tests).
            sleep: Sleep function (injected by tests).
        """
        self.rate = rate
        self.margin = SAFETY_MARGIN
        self._interval = (1.0 + self.margin) / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for this caller's slot.

        Returns:
            The seconds waited.
        """
        if self._interval <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """Back off after a 429: push every later slot back by `seconds`, and widen the margin.

        Args:
            seconds: The server's Retry-After (or the retry delay derived from it).
        """
        if self._interval <= 0:
            return
        with self._lock:
            self.margin = min(MAX_SAFETY_MARGIN, self.margin + SAFETY_MARGIN)
            self._interval = (1.0 + self.margin) / self.rate
            self._next_slot = max(self._next_slot, self._clock() + max(seconds, 0.0))
