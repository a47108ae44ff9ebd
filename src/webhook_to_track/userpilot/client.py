"""Send one Userpilot call over an injected urllib3 PoolManager and classify the answer.

Success returns; every other outcome raises a ForwardError subclass whose class says what the
forwarder does next (see errors.py): retry later, wait for a rate limit, park, or count an
ambiguous send. Only connection errors are re-tried inside the call (the request was provably
not sent); see policy.py.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final, Protocol

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, ProtocolError, ReadTimeoutError

from webhook_to_track import __version__
from webhook_to_track.errors import (
    CallRejectedError,
    ForwardAmbiguousError,
    RateLimitedError,
    UpstreamAuthError,
    UpstreamUnavailableError,
)
from webhook_to_track.userpilot.api import API_VERSION
from webhook_to_track.userpilot.calls import UserpilotCall
from webhook_to_track.userpilot.policy import ForwardPolicy

REDACTED: Final = "Token ***"
MAX_ERROR_CHARS: Final = 256
RETRY_STATUSES: Final = frozenset({404, 408})
"""4xx answers worth another try: a 404 from a host that is being deployed, a 408 timeout."""


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
class Delivered:
    status: int | None
    request_id: str | None = None
    request: UserpilotRequest | None = None  # in dry-run: what would have been sent

    def to_record(self) -> dict[str, Any]:
        """What the idempotency record keeps (JSON)."""
        return {"status": self.status, "x_request_id": self.request_id}


def build_request(base_url: str, api_key: str, call: UserpilotCall) -> UserpilotRequest:
    body = json.dumps(call.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return UserpilotRequest(
        method="POST",
        url=f"{base_url}{call.endpoint}",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/plain, */*",
            "Authorization": f"Token {api_key}",
            "X-API-Version": API_VERSION,
            "User-Agent": f"webhook-to-track/{__version__}",
        },
        body=body,
    )


class CallSender(Protocol):
    def send(self, call: UserpilotCall) -> Delivered:
        """Deliver one call or raise a ForwardError subclass saying why not."""


@lru_cache(maxsize=1)
def get_pool() -> urllib3.PoolManager:
    """One pool per container, reused across invocations (keep-alive to Userpilot)."""
    return urllib3.PoolManager(num_pools=4, maxsize=4, retries=False, block=False)


def error_text(body: bytes) -> str:
    """Userpilot's ``{"errors": [{"message": ...}]}`` in short, for the dead-letter record.
    It is Userpilot's text about our request: it goes to the operator, never to a sender."""
    try:
        errors = json.loads(body).get("errors") or []
        messages = [str(e.get("message") or e.get("error") or "") for e in errors]
        text = "; ".join(m for m in messages if m)
    except (ValueError, AttributeError, TypeError, RecursionError):
        text = ""
    return text[:MAX_ERROR_CHARS] or "no reason given"


def retry_after_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), or None if absent/invalid."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit alone accepts "²"
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def classify(response: urllib3.BaseHTTPResponse) -> Delivered:
    """A 2xx answer as Delivered; any other raises the ForwardError that says what to do."""
    status = response.status
    if 200 <= status < 300:
        return Delivered(status, response.headers.get("x-request-id"))
    wait = retry_after_s(response.headers)
    if status == 429:
        raise RateLimitedError("Userpilot answered 429", status=status, retry_after_s=wait)
    if status in (401, 403):
        raise UpstreamAuthError(
            f"Userpilot answered {status}: check userpilot_api_key in the secrets document"
            " (it must be an API key of this app and region)",
            status=status,
        )
    if 400 <= status < 500 and status not in RETRY_STATUSES:
        raise CallRejectedError(
            f"Userpilot refused the call ({status})", status=status, error=error_text(response.data)
        )
    raise UpstreamUnavailableError(
        f"Userpilot answered {status}", status=status, retry_after_s=wait
    )


class UserpilotClient:
    """POST one call; connection errors are re-tried by urllib3, nothing else is."""

    def __init__(
        self, pool: urllib3.PoolManager, base_url: str, api_key: str, policy: ForwardPolicy
    ) -> None:
        self._pool = pool
        self._base_url = base_url
        self._api_key = api_key
        self._policy = policy

    def send(self, call: UserpilotCall) -> Delivered:
        request = build_request(self._base_url, self._api_key, call)
        try:
            response = self._pool.request(
                request.method,
                request.url,
                body=request.body,
                headers=request.headers,
                timeout=self._policy.to_timeout(),
                retries=self._policy.to_retry(),
                redirect=False,
            )
        except MaxRetryError as exc:
            raise _transport_error(exc.reason) from exc
        except HTTPError as exc:
            raise _transport_error(exc) from exc
        return classify(response)


def _transport_error(
    reason: BaseException | None,
) -> UpstreamUnavailableError | ForwardAmbiguousError:
    """Before the request was sent (connect errors) it can be re-sent; after, it is ambiguous."""
    if isinstance(reason, ReadTimeoutError | ProtocolError):
        return ForwardAmbiguousError(
            f"no answer from Userpilot after the request was sent ({type(reason).__name__})"
        )
    name = type(reason).__name__ if reason is not None else "unknown"
    return UpstreamUnavailableError(f"could not connect to Userpilot ({name})")


class DryRunClient:
    """Builds the exact request it would send, keeps it, and sends nothing."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self._base_url = base_url
        self._api_key = api_key

    def send(self, call: UserpilotCall) -> Delivered:
        return Delivered(None, request=build_request(self._base_url, self._api_key, call))
