"""How hard one forward tries, and how long a call waits before the next try: an immutable policy.

Inside one attempt only connection errors are retried: they happen before the request is sent,
so a re-send cannot double the call. A read timeout or a dropped connection after the request was
sent is ambiguous (Userpilot may have recorded it) and is never re-sent here; the forwarder
decides by ``ambiguous``. Every other retry goes through the queue, delayed by ``delay_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

from urllib3 import Timeout
from urllib3.util.retry import Retry

AmbiguousPolicy = Literal["retry", "park"]


@dataclass(frozen=True, slots=True)
class ForwardPolicy:
    """Every knob has a documented default; instances are shared safely.

    Attributes:
        connect_timeout: seconds to open a connection, per attempt.
        read_timeout: seconds to wait for Userpilot's answer once the request is sent.
        connect_retries: re-tries of a connection that could not be opened (never sent).
        delay_max_s: the longest a call waits in the queue before its next try (a Retry-After
            longer than this is capped to it).
        ambiguous: ``retry`` sends an ambiguous call again (at least once: it may double);
            ``park`` sets it aside in the dead-letter queue (at most once: it may be missing).
    """

    MIN_DELAY_S: ClassVar[int] = 1
    AUTH_DELAY_S: ClassVar[int] = 60
    """A refused API key will not be fixed in seconds: retry such calls at least a minute apart."""
    IN_PROGRESS_DELAY_S: ClassVar[int] = 5
    """Another worker is sending the same call right now: look again shortly."""

    connect_timeout: float = 2.0
    read_timeout: float = 10.0
    connect_retries: int = 2
    delay_max_s: int = 900
    ambiguous: AmbiguousPolicy = "retry"

    def to_retry(self) -> Retry:
        """A urllib3 Retry that re-opens failed connections only: no read, status or redirect
        retries (a POST that reached Userpilot is never re-sent by urllib3)."""
        return Retry(
            total=None,
            connect=self.connect_retries,
            read=0,
            redirect=0,
            status=0,
            other=0,
            allowed_methods=None,  # None = every method: POST is safe to re-send on connect errors
            backoff_factor=0.1,
            backoff_max=1.0,
            raise_on_status=False,
            raise_on_redirect=False,
            respect_retry_after_header=False,
        )

    def to_timeout(self) -> Timeout:
        return Timeout(connect=self.connect_timeout, read=self.read_timeout)

    def attempt_s(self) -> float:
        """The longest one forward can take: every connection attempt times out, with urllib3's
        backoff between them, then the read timeout runs out."""
        backoff = sum(min(1.0, 0.1 * (1 << n)) for n in range(1, self.connect_retries))
        return (self.connect_retries + 1) * self.connect_timeout + backoff + self.read_timeout

    def delay_s(self, receive_count: int, retry_after_s: float | None = None) -> int:
        """Seconds before a failed call is tried again: Userpilot's Retry-After when it sent one,
        else 1, 2, 4, 8 ... seconds doubling with each receive, capped at ``delay_max_s``."""
        if retry_after_s is not None:
            wanted = retry_after_s
        else:
            wanted = float(1 << min(max(receive_count, 1) - 1, 20))
        return math.ceil(min(max(wanted, self.MIN_DELAY_S), self.delay_max_s))
