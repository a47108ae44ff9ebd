"""Send track events to Userpilot: the EventSink port, the urllib3 forwarder and a dry-run sink."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final, Literal, Protocol

import urllib3
from urllib3.exceptions import HTTPError, InvalidHeader, MaxRetryError
from urllib3.util.retry import Retry

from webhook_to_track import __version__
from webhook_to_track.errors import UpstreamAuthError, UpstreamUnavailableError
from webhook_to_track.models import TrackEvent
from webhook_to_track.policy import Deadline, ForwardPolicy

TRACK_PATH: Final = "/v1/track"
API_VERSION: Final = "2020-09-22"
REDACTED: Final = "Token ***"

Outcome = Literal["forwarded", "rejected", "dry-run"]


@dataclass(frozen=True, slots=True)
class UserpilotRequest:
    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    body: bytes

    def redacted(self) -> dict[str, Any]:
        """The request as it can be shown: the API key replaced."""
        headers = {**self.headers, "Authorization": REDACTED}
        return {
            "method": self.method,
            "url": self.url,
            "headers": headers,
            "body": json.loads(self.body),
        }


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    status: int | None = None
    attempts: int = 1
    reason: str | None = None
    request: UserpilotRequest | None = None  # set in dry-run: what would have been sent


def build_track_request(base_url: str, api_key: str, event: TrackEvent) -> UserpilotRequest:
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return UserpilotRequest(
        method="POST",
        url=f"{base_url}{TRACK_PATH}",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Token {api_key}",
            "X-API-Version": API_VERSION,
            "User-Agent": f"webhook-to-track/{__version__}",
        },
        body=body,
    )


class EventSink(Protocol):
    def send(self, event: TrackEvent, deadline: Deadline) -> SendResult:
        """Deliver one event before the deadline.

        Raises:
            UpstreamUnavailableError: not delivered in time; the sender should retry.
            UpstreamAuthError: Userpilot refused the API key.
        """


@lru_cache(maxsize=1)
def get_pool() -> urllib3.PoolManager:
    """One pool per container, reused across invocations (keep-alive to Userpilot)."""
    return urllib3.PoolManager(num_pools=4, maxsize=4, retries=False, block=False)


def _error_reason(body: bytes) -> str:
    """Userpilot's ``{"errors": [{"message": ...}]}`` in short, for a rejection record."""
    try:
        errors = json.loads(body).get("errors") or []
        messages = [str(e.get("message") or e.get("error") or "") for e in errors]
        text = "; ".join(m for m in messages if m)
    except (ValueError, AttributeError, TypeError):
        text = ""
    return text[:200] or "no reason given"


class UserpilotForwarder:
    """POST /v1/track over an injected PoolManager, retrying within a deadline.

    urllib3's Retry decides what is retryable and how long to back off (POST included,
    Retry-After capped); this loop drives it so that every attempt's timeout and every sleep is
    clipped to the deadline, which urllib3's own retry loop cannot do.
    """

    def __init__(
        self,
        pool: urllib3.PoolManager,
        base_url: str,
        api_key: str,
        policy: ForwardPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._pool = pool
        self._base_url = base_url
        self._api_key = api_key
        self._policy = policy
        self._sleep = sleep

    def send(self, event: TrackEvent, deadline: Deadline) -> SendResult:
        request = build_track_request(self._base_url, self._api_key, event)
        retry = self._policy.to_retry()
        attempts = 0
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise UpstreamUnavailableError(
                    "Userpilot did not accept the event within the time budget", attempts=attempts
                )
            attempts += 1
            try:
                response = self._pool.request(
                    request.method,
                    request.url,
                    body=request.body,
                    headers=request.headers,
                    timeout=self._policy.to_timeout(remaining),
                    retries=False,
                    redirect=False,
                )
            except HTTPError as exc:
                retry = self._increment(retry, request, attempts, error=exc)
                self._wait(retry.get_backoff_time(), deadline, attempts)
                continue
            status = response.status
            if 200 <= status < 300:
                return SendResult("forwarded", status, attempts)
            if status in (401, 403):
                raise UpstreamAuthError(
                    f"Userpilot answered {status}: check userpilot_api_key in the secrets document"
                    " (it must be a write token for this app and region)",
                    status=status,
                )
            if retry.is_retry(request.method, status, "Retry-After" in response.headers):
                retry = self._increment(retry, request, attempts, response=response)
                self._wait(self._retry_wait(retry, response), deadline, attempts)
                continue
            if status == 429 or status >= 500 or status < 400:
                raise UpstreamUnavailableError(f"Userpilot answered {status}", attempts=attempts)
            # Any other 4xx is about this event itself: resending it will not help.
            return SendResult("rejected", status, attempts, _error_reason(response.data))

    @staticmethod
    def _increment(
        retry: Retry,
        request: UserpilotRequest,
        attempts: int,
        *,
        error: Exception | None = None,
        response: urllib3.BaseHTTPResponse | None = None,
    ) -> Retry:
        try:
            return retry.increment(request.method, request.url, response=response, error=error)
        except (MaxRetryError, HTTPError) as exc:
            what = f"status {response.status}" if response is not None else type(error).__name__
            raise UpstreamUnavailableError(
                f"Userpilot still failing after {attempts} attempts ({what})", attempts=attempts
            ) from exc

    @staticmethod
    def _retry_wait(retry: Retry, response: urllib3.BaseHTTPResponse) -> float:
        try:
            after = retry.get_retry_after(response)
        except InvalidHeader:
            after = None
        return after if after is not None else retry.get_backoff_time()

    def _wait(self, seconds: float, deadline: Deadline, attempts: int) -> None:
        if seconds >= deadline.remaining():
            raise UpstreamUnavailableError(
                f"waiting {seconds:.2f} s to retry would pass the time budget", attempts=attempts
            )
        if seconds > 0:
            self._sleep(seconds)


class DryRunSink:
    """Builds the exact request it would send and returns it; sends nothing."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self._base_url = base_url
        self._api_key = api_key

    def send(self, event: TrackEvent, deadline: Deadline) -> SendResult:
        request = build_track_request(self._base_url, self._api_key, event)
        return SendResult("dry-run", request=request)
