"""classify(), retry_after_s() and error_text() on real urllib3 HTTPResponse objects built in
memory: every Userpilot answer maps to Delivered or to the ForwardError that says what to do."""

from __future__ import annotations

import email.utils
import io
import json
import time
from typing import Any

import pytest
import urllib3

from webhook_to_track.errors import (
    CallRejectedError,
    ForwardError,
    RateLimitedError,
    UpstreamAuthError,
    UpstreamUnavailableError,
)
from webhook_to_track.userpilot.client import (
    MAX_ERROR_CHARS,
    Delivered,
    classify,
    error_text,
    retry_after_s,
)

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def response(
    status: int = 202, body: bytes | dict[str, Any] = b"", headers: dict[str, str] | None = None
) -> urllib3.HTTPResponse:
    """An HTTPResponse as urllib3 builds it off the wire: body streamed from a file object."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return urllib3.HTTPResponse(
        body=io.BytesIO(data),
        headers={"content-type": "application/json", **(headers or {})},
        status=status,
        preload_content=False,
    )


def userpilot_errors(*messages: str) -> dict[str, Any]:
    """Userpilot's documented error body."""
    return {"errors": [{"message": m, "error_code": "invalid"} for m in messages]}


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


def raised(resp: urllib3.HTTPResponse) -> ForwardError:
    with pytest.raises(ForwardError) as caught:
        classify(resp)
    return caught.value


# --- 2xx ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_delivered_with_userpilots_request_id(status: int):
    resp = response(status, headers={"x-request-id": "req-123"})

    assert classify(resp) == Delivered(status, "req-123")


def test_request_id_header_is_read_case_insensitively():
    assert classify(response(202, headers={"X-Request-Id": "req-9"})).request_id == "req-9"


def test_2xx_without_a_request_id_is_still_delivered():
    assert classify(response(202)) == Delivered(202, None)


def test_delivered_record_is_json_of_status_and_request_id():
    assert Delivered(202, "r").to_record() == {"status": 202, "x_request_id": "r"}


# --- 429 ------------------------------------------------------------------------------------------


def test_429_is_rate_limited_with_retry_after_seconds():
    error = raised(response(429, headers={"Retry-After": "17"}))

    assert type(error) is RateLimitedError
    assert (error.status, error.retry_after_s, error.retryable) == (429, 17.0, True)


def test_429_retry_after_as_an_http_date():
    # Given a Retry-After date two minutes from now
    resp = response(429, headers={"Retry-After": http_date(time.time() + 120)})

    # When it is classified
    error = raised(resp)

    # Then the wait is those two minutes (the date has whole seconds)
    assert type(error) is RateLimitedError
    assert error.retry_after_s == pytest.approx(120, abs=2)


def test_429_retry_after_header_name_is_case_insensitive():
    assert raised(response(429, headers={"retry-after": "3"})).retry_after_s == 3.0


def test_429_without_retry_after_leaves_the_wait_to_the_backoff():
    error = raised(response(429))

    assert type(error) is RateLimitedError
    assert error.retry_after_s is None


def test_429_is_a_kind_of_unavailable():
    assert isinstance(raised(response(429)), UpstreamUnavailableError)


# --- 401 / 403 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_is_an_auth_error_naming_the_secret(status: int):
    error = raised(response(status, userpilot_errors("invalid token")))

    assert type(error) is UpstreamAuthError
    assert error.status == status
    assert error.retryable
    assert "userpilot_api_key" in error.message


# --- retry later: 404, 408, 5xx, 3xx --------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 408, 500, 501, 502, 503, 504, 599])
def test_transient_statuses_are_unavailable(status: int):
    error = raised(response(status))

    assert type(error) is UpstreamUnavailableError
    assert (error.status, error.retryable) == (status, True)


def test_503_carries_its_retry_after():
    error = raised(response(503, headers={"Retry-After": "30"}))

    assert (type(error), error.retry_after_s) == (UpstreamUnavailableError, 30.0)


@pytest.mark.parametrize("status", [301, 302, 303, 304, 307, 308])
def test_redirects_are_not_followed_and_count_as_unavailable(status: int):
    error = raised(response(status, headers={"Location": "https://elsewhere.example/"}))

    assert type(error) is UpstreamUnavailableError
    assert error.status == status


# --- other 4xx: the call itself is refused --------------------------------------------------------


@pytest.mark.parametrize("status", [400, 402, 405, 409, 410, 413, 415, 422, 451])
def test_other_4xx_rejects_the_call_with_userpilots_message(status: int):
    error = raised(response(status, userpilot_errors("metadata.plan must be a string")))

    assert type(error) is CallRejectedError
    assert (error.status, error.error) == (status, "metadata.plan must be a string")
    assert not error.retryable


def test_rejection_without_a_json_body_says_no_reason_given():
    error = raised(response(400, b"<html><body>Bad Request</body></html>"))

    assert type(error) is CallRejectedError
    assert error.error == "no reason given"


# --- retry_after_s --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (" 5 ", 5.0),
        (http_date(NOW + 90), 90.0),
        (http_date(NOW - 90), 0.0),  # a date in the past: go now
        ("Thu, 01 Jan 2026 00:01:00 GMT", 60.0),
    ],
)
def test_retry_after_seconds_and_http_dates(value: str, expected: float):
    assert retry_after_s({"Retry-After": value}, now=NOW) == expected


@pytest.mark.parametrize(
    "value",
    ["", "soon", "-5", "1.5", "5s", "Thu, 01 Jan 2026 00:01:00", "Thu, 32 Foo 2026 25:61:00 GMT"],
)
def test_invalid_retry_after_is_none(value: str):
    assert retry_after_s({"Retry-After": value}, now=NOW) is None


def test_absent_retry_after_is_none():
    assert retry_after_s({}, now=NOW) is None


@pytest.mark.parametrize("value", ["\u00b2", "\u00b9\u00b2"], ids=["superscript-two", "mixed"])
def test_latin1_digit_lookalikes_are_invalid_not_a_crash(value: str):
    # Given a header urllib3 decodes as latin-1: byte 0xB2 is "²", which str.isdigit() accepts
    # When it is parsed
    # Then it is an invalid Retry-After (None), not a ValueError out of classify
    assert retry_after_s({"Retry-After": value}, now=NOW) is None


# --- error_text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (userpilot_errors("bad metadata"), "bad metadata"),
        (userpilot_errors("first", "second"), "first; second"),
        ({"errors": [{"error": "only an error key"}]}, "only an error key"),
        ({"errors": [{"message": ""}, {"message": "kept"}]}, "kept"),
        ({"errors": [{"message": 42}]}, "42"),
    ],
)
def test_error_text_is_userpilots_messages(body: dict[str, Any], expected: str):
    assert error_text(json.dumps(body).encode()) == expected


def test_error_text_keeps_utf8():
    assert error_text(json.dumps(userpilot_errors("Größe ungültig")).encode()) == "Größe ungültig"


def test_error_text_is_capped():
    text = error_text(json.dumps(userpilot_errors("x" * 1000)).encode())

    assert text == "x" * MAX_ERROR_CHARS


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>upstream connect error: token=abc</body></html>",
        b"Bad Request " * 1000,
        b"\xff\xfe\x00garbage",
        b"[]",
        b'"errors"',
        b"null",
        b'{"message": "not in the documented shape"}',
        b'{"errors": "a string"}',
        b'{"errors": {"message": "an object"}}',
        b'{"errors": [1, "two", null]}',
        b'{"errors": null}',
    ],
)
def test_bodies_without_userpilots_messages_are_never_echoed(body: bytes):
    assert error_text(body) == "no reason given"


def test_deeply_nested_json_is_no_reason_given_not_a_crash():
    # Given a body nested deeper than Python's recursion limit (a broken proxy, say)
    body = b"[" * 100_000

    # When it is read for Userpilot's message
    # Then there is none, and nothing escapes classify but the error it means
    assert error_text(body) == "no reason given"
