"""How hard to try forwarding: an immutable policy that builds urllib3 Retry and Timeout objects,
plus the deadline that bounds one delivery's whole forward."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from urllib3 import Timeout
from urllib3.util.retry import Retry


@dataclass(frozen=True, slots=True)
class ForwardPolicy:
    """Every knob has a documented default; instances are shared safely.

    Attributes:
        total: retries after the first attempt (so ``total + 1`` attempts at most).
        backoff_factor: urllib3 backoff: ``factor * 2 ** (n - 1)`` seconds before retry n > 1.
        backoff_max: upper bound of one backoff sleep, seconds.
        backoff_jitter: up to this many random seconds added to each backoff.
        retry_after_max: a ``Retry-After`` longer than this is capped to it (urllib3 allows 6 h).
        status_forcelist: statuses retried even without ``Retry-After``.
        connect_timeout: seconds to open a connection, per attempt.
        read_timeout: seconds to wait for the response, per attempt.
        budget_s: the whole forward of one delivery, all events and retries included.
        reserve_s: time kept back from the Lambda's remaining time for the idempotency
            write and the response, so the function never times out mid-forward.
    """

    DEFAULT_STATUS_FORCELIST: ClassVar[frozenset[int]] = frozenset({429, 500, 502, 503, 504})

    total: int = 3
    backoff_factor: float = 0.25
    backoff_max: float = 2.0
    backoff_jitter: float = 0.1
    retry_after_max: int = 2
    status_forcelist: frozenset[int] = field(default=DEFAULT_STATUS_FORCELIST)
    connect_timeout: float = 1.0
    read_timeout: float = 3.0
    budget_s: float = 5.0
    reserve_s: float = 1.0

    def to_retry(self) -> Retry:
        """A urllib3 Retry that retries POST (urllib3's default excludes it) and never raises on
        status, so the caller classifies the final response itself."""
        return Retry(
            total=self.total,
            redirect=0,
            allowed_methods=None,  # None = every method, POST included
            status_forcelist=self.status_forcelist,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            backoff_jitter=self.backoff_jitter,
            raise_on_status=False,
            raise_on_redirect=False,
            respect_retry_after_header=True,
            retry_after_max=self.retry_after_max,
        )

    def to_timeout(self, remaining_s: float) -> Timeout:
        """Per-attempt timeouts, clipped so one attempt never outlives the deadline."""
        remaining_s = max(remaining_s, 0.001)
        return Timeout(
            connect=min(self.connect_timeout, remaining_s),
            read=min(self.read_timeout, remaining_s),
        )

    def budget(self, lambda_remaining_ms: int | None) -> float:
        """Seconds this delivery may spend forwarding, given the Lambda's remaining time."""
        if lambda_remaining_ms is None:
            return self.budget_s
        return max(0.0, min(self.budget_s, lambda_remaining_ms / 1000 - self.reserve_s))

    def worst_case_s(self) -> float:
        """Longest one event could take if nothing clipped it: every attempt times out and
        every wait is as long as allowed."""
        attempts = self.total + 1
        longest_wait = max(self.backoff_max + self.backoff_jitter, float(self.retry_after_max))
        return attempts * (self.connect_timeout + self.read_timeout) + self.total * longest_wait


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point on the monotonic clock; the clock is injectable for tests."""

    at: float
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(at=clock() + seconds, clock=clock)

    def remaining(self) -> float:
        return self.at - self.clock()
