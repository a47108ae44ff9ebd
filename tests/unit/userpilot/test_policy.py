"""ForwardPolicy: only connect errors are re-tried inside a forward, time is bounded, and the
queue's backoff doubles from 1 s to a cap, honouring (and capping) Userpilot's Retry-After."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from tests.factories import TEMPLATE
from webhook_to_track.local.template import FORWARDER_ID, function_timeout, load_template
from webhook_to_track.userpilot.policy import ForwardPolicy

URL = "/v1/track"


def policy(**overrides: Any) -> ForwardPolicy:
    """The default policy with the given knobs changed."""
    return dataclasses.replace(ForwardPolicy(), **overrides)


def connect_error() -> NewConnectionError:
    return NewConnectionError(None, "Failed to establish a new connection: refused")  # type: ignore[arg-type]


def attempts_until_exhausted(retry: Retry, error: Exception) -> int:
    """How many attempts urllib3 makes when every one fails with ``error``."""
    attempts = 1
    while True:
        try:
            retry = retry.increment(method="POST", url=URL, error=error)
        except (MaxRetryError, type(error)):
            return attempts
        attempts += 1


# --- to_retry: inside one forward, connect errors only --------------------------------------------


def test_retry_re_opens_refused_connections_for_post():
    # Given the default policy (connect_retries=2)
    retry = ForwardPolicy().to_retry()

    # When every attempt fails to connect
    attempts = attempts_until_exhausted(retry, connect_error())

    # Then urllib3 tries three times in all, POST included
    assert attempts == 3
    assert retry.allowed_methods is None


@pytest.mark.parametrize("retries", [0, 1, 4])
def test_connect_attempts_follow_connect_retries(retries: int):
    retry = policy(connect_retries=retries).to_retry()

    assert attempts_until_exhausted(retry, connect_error()) == retries + 1


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(None, URL, "Read timed out."),  # type: ignore[arg-type]
        ProtocolError("Connection aborted.", ConnectionResetError()),
    ],
    ids=["read-timeout", "connection-dropped"],
)
def test_errors_after_the_request_was_sent_are_never_retried(error: Exception):
    # Given the default policy
    retry = ForwardPolicy().to_retry()

    # When the request went out and then the answer failed
    # Then urllib3 gives up at once: the POST may have reached Userpilot
    assert attempts_until_exhausted(retry, error) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_statuses_are_never_retried_by_urllib3(status: int):
    retry = ForwardPolicy().to_retry()

    assert retry.status == 0
    assert not retry.is_retry("POST", status)
    assert retry.raise_on_status is False
    assert retry.respect_retry_after_header is False


def test_redirects_and_other_errors_are_not_followed():
    retry = ForwardPolicy().to_retry()

    assert (retry.read, retry.redirect, retry.other, retry.raise_on_redirect) == (0, 0, 0, False)


# --- timeouts and the worst case ------------------------------------------------------------------


def test_timeout_carries_the_connect_and_read_timeouts():
    timeout = policy(connect_timeout=0.5, read_timeout=3.0).to_timeout()

    assert (timeout.connect_timeout, timeout.read_timeout) == (0.5, 3.0)


def urllib3_backoff_s(policy: ForwardPolicy) -> float:
    """What urllib3's own Retry sleeps between connect attempts that all fail."""
    retry = policy.to_retry()
    total = 0.0
    for _ in range(policy.connect_retries):
        retry = retry.increment(method="POST", url=URL, error=connect_error())
        total += retry.get_backoff_time()
    return total


@pytest.mark.parametrize("retries", [0, 1, 2, 3, 6])
def test_attempt_s_is_every_connect_timing_out_plus_backoff_plus_the_read(retries: int):
    # Given a policy with some connect retries
    p = policy(connect_timeout=2.0, read_timeout=10.0, connect_retries=retries)

    # When every connection attempt times out and then the read does too
    worst = (retries + 1) * 2.0 + urllib3_backoff_s(p) + 10.0

    # Then attempt_s says exactly that long, urllib3's backoff included
    assert p.attempt_s() == pytest.approx(worst)


def test_default_attempt_fits_the_forwarders_timeout():
    timeout = function_timeout(load_template(TEMPLATE), FORWARDER_ID)

    assert ForwardPolicy().attempt_s() == pytest.approx(16.2)
    assert ForwardPolicy().attempt_s() < timeout


# --- delay_s: the queue's backoff -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("receive_count", "expected"),
    [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (10, 512), (11, 900), (1000, 900)],
)
def test_delay_doubles_from_one_second_to_the_cap(receive_count: int, expected: int):
    assert ForwardPolicy().delay_s(receive_count) == expected


def test_delay_cap_follows_delay_max_s():
    assert policy(delay_max_s=30).delay_s(20) == 30


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(7.0, 7), (2.2, 3), (0.0, 1), (0.4, 1), (-5.0, 1), (900.0, 900), (3600.0, 900)],
)
def test_retry_after_is_honoured_capped_and_never_below_one_second(
    retry_after: float, expected: int
):
    # Given a call received many times (its backoff alone would be the cap)
    # When Userpilot said how long to wait
    # Then its Retry-After wins, within [1, delay_max_s]
    assert ForwardPolicy().delay_s(12, retry_after) == expected


def test_retry_after_is_capped_by_delay_max_s():
    assert policy(delay_max_s=60).delay_s(1, 3600.0) == 60


def test_delay_is_a_whole_number_of_seconds():
    assert isinstance(ForwardPolicy().delay_s(3, 2.5), int)


def test_policy_is_immutable_and_shareable():
    p = ForwardPolicy()

    with pytest.raises(dataclasses.FrozenInstanceError):
        p.read_timeout = 1.0  # type: ignore[misc]
    assert hash(p) == hash(ForwardPolicy())
    assert p.ambiguous == "retry"
