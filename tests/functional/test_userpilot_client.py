"""UserpilotClient against the real HTTP stand-in on 127.0.0.1: the exact request on the wire,
connect errors re-tried, a sent request never re-sent, and every answer classified end to end."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

from tests.userpilot_stub import Reply, UserpilotStub
from webhook_to_track import __version__
from webhook_to_track.errors import (
    CallRejectedError,
    ForwardAmbiguousError,
    RateLimitedError,
    UpstreamAuthError,
    UpstreamUnavailableError,
)
from webhook_to_track.userpilot.calls import TrackBody, UserpilotCall, track
from webhook_to_track.userpilot.client import (
    REDACTED,
    Delivered,
    DryRunClient,
    UserpilotClient,
    get_pool,
)
from webhook_to_track.userpilot.policy import ForwardPolicy

API_KEY = "up_key_for_the_client_tests"
FAST = ForwardPolicy(connect_timeout=0.5, read_timeout=1.0, connect_retries=2)


def call(**metadata: Any) -> UserpilotCall:
    """A valid track call; keyword arguments replace the metadata."""
    body: TrackBody = {
        "user_id": "u-1",
        "event_name": "invoice_paid",
        "metadata": metadata or {"amount": 49.0, "city": "Zürich", "note": "ü → ✓"},
    }
    return track(body)


class CountingConnection(HTTPConnection):
    """A real urllib3 connection that counts how often it tries to connect."""

    attempts = 0

    def connect(self) -> None:
        type(self).attempts += 1
        super().connect()


class CountingPool(HTTPConnectionPool):
    ConnectionCls = CountingConnection


@pytest.fixture
def pool() -> Iterator[urllib3.PoolManager]:
    """A fresh pool per test (as one container has), whose connection attempts are counted."""
    manager = urllib3.PoolManager(num_pools=2, maxsize=2, retries=False)
    manager.pool_classes_by_scheme = {"http": CountingPool}
    CountingConnection.attempts = 0
    yield manager
    manager.clear()


def client(
    pool: urllib3.PoolManager, url: str, policy: ForwardPolicy = FAST, api_key: str = API_KEY
) -> UserpilotClient:
    return UserpilotClient(pool, url, api_key, policy)


def closed_port_url() -> str:
    """A loopback port that refuses connections: bound, then closed, so nobody listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- the request on the wire ----------------------------------------------------------------------


def test_202_sends_exactly_the_documented_request(
    pool: urllib3.PoolManager, userpilot: UserpilotStub
):
    # Given a stand-in answering 202 with a request id
    userpilot.script(Reply(202, headers={"x-request-id": "req-1"}, body={"status": "ok"}))

    # When one call is sent
    result = client(pool, userpilot.url).send(call())

    # Then it was delivered, once, as Userpilot documents the request
    assert result == Delivered(202, "req-1")
    (request,) = userpilot.requests
    assert (request.method, request.path) == ("POST", "/v1/track")
    assert request.headers["Authorization"] == f"Token {API_KEY}"
    assert request.headers["X-API-Version"] == "2020-09-22"
    assert request.headers["Accept"] == "application/json, text/plain, */*"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"webhook-to-track/{__version__}"
    assert int(request.headers["Content-Length"]) == len(request.body)
    assert request.json() == call().body


def test_body_is_utf8_not_escaped(pool: urllib3.PoolManager, userpilot: UserpilotStub):
    client(pool, userpilot.url).send(call())

    (request,) = userpilot.requests
    text = request.body.decode("utf-8")
    assert "\\u" not in text
    assert "Zürich" in text
    assert "ü → ✓" in text


def test_keep_alive_reuses_one_connection(pool: urllib3.PoolManager, userpilot: UserpilotStub):
    sender = client(pool, userpilot.url)

    for _ in range(3):
        sender.send(call())

    assert len(userpilot.requests) == 3
    assert CountingConnection.attempts == 1


# --- transport failures ---------------------------------------------------------------------------


def test_read_timeout_after_the_request_was_sent_is_ambiguous_and_never_resent(
    pool: urllib3.PoolManager, userpilot: UserpilotStub
):
    # Given a stand-in that takes longer to answer than the read timeout
    userpilot.always(Reply(202, delay_s=2.0))
    policy = dataclasses.replace(FAST, read_timeout=0.3)

    # When a call is sent
    with pytest.raises(ForwardAmbiguousError, match="ReadTimeoutError"):
        client(pool, userpilot.url, policy).send(call())

    # Then Userpilot got it exactly once: a sent request is never sent again here
    assert len(userpilot.requests) == 1
    assert CountingConnection.attempts == 1


def test_refused_connection_is_retried_then_unavailable(
    pool: urllib3.PoolManager, userpilot: UserpilotStub
):
    # Given a port where nothing listens
    url = closed_port_url()

    # When a call is sent there
    with pytest.raises(UpstreamUnavailableError, match=r"could not connect .*NewConnectionError"):
        client(pool, url).send(call())

    # Then every connect attempt was made (the request never left) and nothing arrived anywhere
    assert CountingConnection.attempts == FAST.connect_retries + 1
    assert userpilot.requests == []


def test_refused_connection_error_is_not_ambiguous(pool: urllib3.PoolManager):
    with pytest.raises(UpstreamUnavailableError) as caught:
        client(pool, closed_port_url(), dataclasses.replace(FAST, connect_retries=0)).send(call())

    assert type(caught.value) is UpstreamUnavailableError
    assert CountingConnection.attempts == 1


# --- answers, classified end to end ---------------------------------------------------------------


def test_429_is_rate_limited_with_its_retry_after(
    pool: urllib3.PoolManager, userpilot: UserpilotStub
):
    userpilot.script(Reply(429, headers={"Retry-After": "7"}, body={"errors": []}))

    with pytest.raises(RateLimitedError) as caught:
        client(pool, userpilot.url).send(call())

    assert (caught.value.status, caught.value.retry_after_s) == (429, 7.0)
    assert len(userpilot.requests) == 1  # the wait goes through the queue, not urllib3


def test_429_with_an_unparseable_retry_after_is_still_rate_limited(
    pool: urllib3.PoolManager, userpilot: UserpilotStub
):
    # Given a Retry-After byte 0xB2, which http.client decodes (latin-1) as "²"
    userpilot.script(Reply(429, headers={"Retry-After": "\u00b2"}))

    # When the call is sent
    # Then it is rate limited with no usable wait, not a ValueError
    with pytest.raises(RateLimitedError) as caught:
        client(pool, userpilot.url).send(call())
    assert caught.value.retry_after_s is None


def test_400_is_rejected_with_userpilots_message(
    pool: urllib3.PoolManager, userpilot: UserpilotStub
):
    userpilot.script(
        Reply(400, body={"errors": [{"message": "bad metadata", "error_code": "invalid"}]})
    )

    with pytest.raises(CallRejectedError) as caught:
        client(pool, userpilot.url).send(call())

    assert (caught.value.status, caught.value.error) == (400, "bad metadata")
    assert len(userpilot.requests) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_is_an_auth_error(
    pool: urllib3.PoolManager, userpilot: UserpilotStub, status: int
):
    userpilot.script(Reply(status))

    with pytest.raises(UpstreamAuthError):
        client(pool, userpilot.url, api_key="wrong").send(call())
    assert len(userpilot.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_unavailable_and_not_retried_inside_the_call(
    pool: urllib3.PoolManager, userpilot: UserpilotStub, status: int
):
    userpilot.always(Reply(status))

    with pytest.raises(UpstreamUnavailableError) as caught:
        client(pool, userpilot.url).send(call())

    assert (type(caught.value), caught.value.status) == (UpstreamUnavailableError, status)
    assert len(userpilot.requests) == 1


def test_redirect_is_not_followed(pool: urllib3.PoolManager, userpilot: UserpilotStub):
    userpilot.script(Reply(307, headers={"Location": f"{userpilot.url}/v1/elsewhere"}))

    with pytest.raises(UpstreamUnavailableError) as caught:
        client(pool, userpilot.url).send(call())

    assert caught.value.status == 307
    assert [r.path for r in userpilot.requests] == ["/v1/track"]


# --- dry run, redaction, the shared pool ----------------------------------------------------------


def test_dry_run_builds_the_same_request_and_sends_nothing(
    pool: urllib3.PoolManager, userpilot: UserpilotStub
):
    # Given what the real client puts on the wire for one call
    client(pool, userpilot.url).send(call())
    (sent,) = userpilot.requests

    # When the dry-run client "sends" the same call
    result = DryRunClient(userpilot.url, API_KEY).send(call())

    # Then it kept the identical request and nothing more reached the stand-in
    assert result.status is None
    request = result.request
    assert request is not None
    assert (request.method, request.url) == ("POST", f"{userpilot.url}/v1/track")
    assert request.body == sent.body
    assert request.headers.items() <= sent.headers.items()
    assert len(userpilot.requests) == 1


def test_redacted_request_hides_the_api_key(userpilot: UserpilotStub):
    request = DryRunClient(userpilot.url, API_KEY).send(call()).request
    assert request is not None

    shown = request.redacted()

    assert shown["headers"]["Authorization"] == REDACTED == "Token ***"
    assert shown["body"] == call().body
    assert (shown["method"], shown["url"]) == ("POST", f"{userpilot.url}/v1/track")
    assert API_KEY not in json.dumps(shown)
    assert API_KEY not in repr(request)
    assert request.headers["Authorization"] == f"Token {API_KEY}"  # the real one is kept


def test_pool_is_one_per_container():
    assert get_pool() is get_pool()
