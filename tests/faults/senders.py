"""Webhook senders that retry as their vendors do (shared/reference/signatures.md), scaled.

- Stripe: retries every non-2xx answer (and timeouts) with exponential backoff, for days.
- HubSpot (webhooks API): retries connection failures, timeouts and any status but
  400/401/403/404/405, up to 10 times, backing off by attemptNumber; honours Retry-After on a
  429; each retry carries attemptNumber + 1 in every notification (so the body changes).
- GitHub: never redelivers on its own.

Each delivery is signed afresh per attempt, with the source's own signing code, and handed to
the real ingest handler. Waits are scaled: the n-th retry comes 50 ms x 2^n later (the
vendors' minutes to hours, shortened), and every loop is bounded by a count and a time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from tests.factories import VEHICLE_SOURCES
from webhook_to_track.local.events import make_apigw_event

BASE_BACKOFF_S: Final = 0.05
MAX_SENDER_S: Final = 12.0

Invoke = Callable[[dict[str, Any]], Any]  # an event -> an object with .status and .body


@dataclass(frozen=True)
class Vendor:
    name: str
    retries: int
    retry_statuses: Callable[[int], bool]
    honours_retry_after: bool = False

    def should_retry(self, status: int) -> bool:
        return not 200 <= status < 300 and self.retry_statuses(status)


STRIPE: Final = Vendor("stripe", retries=10, retry_statuses=lambda status: True)
HUBSPOT: Final = Vendor(
    "hubspot",
    retries=10,
    retry_statuses=lambda status: status not in {400, 401, 403, 404, 405},
    honours_retry_after=True,
)
GITHUB: Final = Vendor("github", retries=0, retry_statuses=lambda status: False)


@dataclass
class Outcome:
    """What one delivery's attempts were answered."""

    statuses: list[int] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.statuses) and 200 <= self.statuses[-1] < 300


@dataclass
class Delivery:
    """One webhook delivery as its sender would make it: source, body, extra headers; the
    body may change per attempt (HubSpot's attemptNumber)."""

    source: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def raw(self, attempt: int) -> bytes:
        body = self.body
        if self.source == "hubspot" and isinstance(body, list):
            body = [{**item, "attemptNumber": attempt} for item in body]
        if isinstance(body, bytes):
            return body
        return json.dumps(body).encode("utf-8")

    def event(self, attempt: int, secret: str) -> dict[str, Any]:
        from webhook_to_track.registry import get_registry

        source = get_registry(VEHICLE_SOURCES).get(self.source)
        raw = self.raw(attempt)
        now = int(time.time())
        headers = {
            "content-type": source.preset.content_type,
            "user-agent": source.preset.user_agent,
            **self.headers,
            **source.sign(raw, secret, now),
        }
        return make_apigw_event(source.name, raw, headers, now=now)


def send(vendor: Vendor, delivery: Delivery, secret: str, invoke: Invoke) -> Outcome:
    """Deliver until a 2xx, or until the vendor gives up (bounded by count and time)."""
    outcome = Outcome()
    deadline = time.monotonic() + MAX_SENDER_S
    for attempt in range(vendor.retries + 1):
        answer = invoke(delivery.event(attempt, secret))
        outcome.statuses.append(answer.status)
        if 200 <= answer.status < 300:
            outcome.summaries.append(answer.body)
            return outcome
        if not vendor.should_retry(answer.status) or attempt == vendor.retries:
            return outcome
        wait = BASE_BACKOFF_S * (2**attempt)
        if vendor.honours_retry_after and answer.status == 429:
            wait = BASE_BACKOFF_S * float(answer.headers.get("retry-after", 1))
        if time.monotonic() + wait > deadline:
            return outcome
        time.sleep(wait)
    return outcome
