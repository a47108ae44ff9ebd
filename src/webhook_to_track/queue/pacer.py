"""Space one forwarder's calls so that all forwarders together stay under Userpilot's rate.

Userpilot allows 600 requests a minute per API token. The event source mapping runs at most
``workers`` forwarders at once, so each takes ``1 / workers`` of the configured rate: with the
defaults (480 a minute, 2 workers) one call every 0.25 s per forwarder. A 429 pauses the pacer
until Userpilot's Retry-After (or the backoff) has passed, for every later call of this
container, which is how calls from outside our forwarders on the same token are absorbed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import lru_cache


class Pacer:
    def __init__(
        self,
        per_minute: float,
        workers: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0 or workers < 1:
            raise ValueError("per_minute must be positive and workers at least 1")
        self.interval_s = 60.0 * workers / per_minute
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._paused_until = float("-inf")
        self._lock = threading.Lock()

    def acquire(self, budget_s: float) -> bool:
        """Wait for this forwarder's next slot; False (without waiting) when the slot is
        further away than ``budget_s``."""
        with self._lock:
            now = self._clock()
            at = max(now, self._next, self._paused_until)
            if at - now > budget_s:
                return False
            self._next = at + self.interval_s
        if at > now:
            self._sleep(at - now)
        return True

    def pause(self, seconds: float) -> None:
        """No call before ``seconds`` from now (Userpilot said 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        """Seconds left of a pause, 0 when none."""
        return max(0.0, self._paused_until - self._clock())


def unpaced() -> Pacer:
    """For dry runs: nothing is sent, so there is no rate to keep."""
    return Pacer(float("inf"), 1)


@lru_cache(maxsize=4)
def get_pacer(per_minute: int, workers: int) -> Pacer:
    """One pacer per container: its state spans invocations, like the rate it protects."""
    return Pacer(per_minute, workers)
