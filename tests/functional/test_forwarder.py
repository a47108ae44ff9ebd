"""UserpilotForwarder against a real HTTP server on 127.0.0.1: classification, retries, time."""

from __future__ import annotations

import socket
import time

import pytest
import urllib3

from tests.userpilot_stub import Reply, UserpilotStub
from webhook_to_track.errors import UpstreamAuthError, UpstreamUnavailableError
from webhook_to_track.forwarder import DryRunSink, UserpilotForwarder, get_pool
from webhook_to_track.models import TrackEvent
from webhook_to_track.policy import Deadline, ForwardPolicy

EVENT: TrackEvent = {
    "user_id": "u1",
    "event_name": "invoice_paid",
    "metadata": {"amount": 49.0, "é": "ü"},
}
FAST = ForwardPolicy(
    total=2,
    backoff_factor=0.01,
    backoff_max=0.05,
    backoff_jitter=0.0,
    retry_after_max=1,
    connect_timeout=0.5,
    read_timeout=1.0,
)


class SleepRecorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def forwarder(stub: UserpilotStub, policy: ForwardPolicy = FAST, sleep=None) -> UserpilotForwarder:
    return UserpilotForwarder(
        urllib3.PoolManager(), stub.url, "key-1", policy, **({"sleep": sleep} if sleep else {})
    )


def test_202_is_forwarded_with_exact_request(userpilot: UserpilotStub):
    result = forwarder(userpilot).send(EVENT, Deadline.after(5))

    assert (result.outcome, result.status, result.attempts) == ("forwarded", 202, 1)
    (request,) = userpilot.requests
    assert (request.method, request.path) == ("POST", "/v1/track")
    assert request.headers["Authorization"] == "Token key-1"
    assert request.headers["X-API-Version"] == "2020-09-22"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == EVENT
    assert "\\u" not in request.body.decode()  # UTF-8 on the wire, not escapes


def test_429_with_retry_after_is_retried_after_the_capped_wait(userpilot: UserpilotStub):
    userpilot.script(Reply(429, headers={"Retry-After": "3600"}))
    sleep = SleepRecorder()

    result = forwarder(userpilot, sleep=sleep).send(EVENT, Deadline.after(5))

    assert (result.outcome, result.attempts) == ("forwarded", 2)
    assert sleep.waits == [1]  # 3600 s capped to retry_after_max


def test_429_without_retry_after_uses_backoff(userpilot: UserpilotStub):
    userpilot.script(Reply(429), Reply(429))
    sleep = SleepRecorder()

    result = forwarder(userpilot, sleep=sleep).send(EVENT, Deadline.after(5))

    assert result.attempts == 3
    assert sleep.waits == [0.02]  # urllib3: no wait before the first retry, then factor * 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_repeated_server_errors_give_up_as_unavailable(userpilot: UserpilotStub, status):
    userpilot.always(Reply(status))

    with pytest.raises(UpstreamUnavailableError, match=f"after 3 attempts \\(status {status}\\)"):
        forwarder(userpilot).send(EVENT, Deadline.after(5))
    assert len(userpilot.requests) == 3


def test_server_error_then_success(userpilot: UserpilotStub):
    userpilot.script(Reply(503))

    assert forwarder(userpilot).send(EVENT, Deadline.after(5)).attempts == 2


@pytest.mark.parametrize("status", [400, 404, 413, 422])
def test_client_errors_reject_the_event_with_userpilots_reason(userpilot: UserpilotStub, status):
    userpilot.script(
        Reply(status, body={"errors": [{"message": "bad metadata", "error_code": "x"}]})
    )

    result = forwarder(userpilot).send(EVENT, Deadline.after(5))

    assert (result.outcome, result.status, result.reason) == ("rejected", status, "bad metadata")
    assert len(userpilot.requests) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_is_a_configuration_problem(userpilot: UserpilotStub, status):
    userpilot.script(Reply(status))

    with pytest.raises(UpstreamAuthError):
        forwarder(userpilot).send(EVENT, Deadline.after(5))
    assert len(userpilot.requests) == 1


def test_501_is_not_retried_but_still_unavailable(userpilot: UserpilotStub):
    userpilot.always(Reply(501))

    with pytest.raises(UpstreamUnavailableError, match="answered 501"):
        forwarder(userpilot).send(EVENT, Deadline.after(5))
    assert len(userpilot.requests) == 1


def test_slow_server_is_cut_at_the_deadline(userpilot: UserpilotStub):
    userpilot.always(Reply(202, delay_s=2))
    policy = ForwardPolicy(total=5, read_timeout=10, connect_timeout=1)

    started = time.monotonic()
    with pytest.raises(UpstreamUnavailableError):
        forwarder(userpilot, policy).send(EVENT, Deadline.after(0.6))
    assert time.monotonic() - started < 1.2


def test_wait_longer_than_the_time_left_gives_up_at_once(userpilot: UserpilotStub):
    userpilot.script(Reply(429, headers={"Retry-After": "1"}))
    sleep = SleepRecorder()

    with pytest.raises(UpstreamUnavailableError, match="would pass the time budget"):
        forwarder(userpilot, sleep=sleep).send(EVENT, Deadline.after(0.5))
    assert sleep.waits == []


def test_expired_deadline_sends_nothing(userpilot: UserpilotStub):
    with pytest.raises(UpstreamUnavailableError, match="time budget"):
        forwarder(userpilot).send(EVENT, Deadline.after(-1))
    assert userpilot.requests == []


def test_connection_refused_is_retried_then_unavailable():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = FAST
    sink = UserpilotForwarder(urllib3.PoolManager(), f"http://127.0.0.1:{port}", "k", policy)

    with pytest.raises(UpstreamUnavailableError, match="after 3 attempts \\(NewConnectionError\\)"):
        sink.send(EVENT, Deadline.after(5))


def test_pool_is_reused_across_invocations():
    assert get_pool() is get_pool()


def test_dry_run_builds_the_same_request_and_sends_nothing(userpilot: UserpilotStub):
    result = DryRunSink(userpilot.url, "key-1").send(EVENT, Deadline.after(5))

    assert result.outcome == "dry-run"
    assert result.request is not None
    shown = result.request.redacted()
    assert shown["headers"]["Authorization"] == "Token ***"
    assert shown["body"] == EVENT
    assert "key-1" not in repr(result.request)
    assert userpilot.requests == []
