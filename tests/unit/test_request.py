"""parse_request: raw bytes, lowercased headers, source from the path, limits."""

from __future__ import annotations

import base64

import pytest

from tests.factories import make_event
from webhook_to_track.errors import (
    MalformedBodyError,
    MethodNotAllowedError,
    PayloadTooLargeError,
    UnknownSourceError,
)
from webhook_to_track.request import lowercase_headers, parse_request

LIMIT = 1024 * 1024


def test_http_api_event_is_read_as_raw_bytes_with_lowercased_headers():
    event = make_event(b'{"a": "\xc3\xa9"}', headers={"Stripe-Signature": "t=1", "X-Mixed": "v"})

    request = parse_request(event, max_body_bytes=LIMIT)

    assert request.source == "stripe"
    assert request.method == "POST"
    assert request.body == b'{"a": "\xc3\xa9"}'
    assert request.headers["stripe-signature"] == "t=1"
    assert request.header("X-MIXED") == "v"
    assert request.request_id == event["requestContext"]["requestId"]
    assert request.path == "/webhooks/stripe"


def test_base64_body_is_decoded_to_the_exact_bytes():
    raw = b"\xff\x00binary\x80"
    event = make_event(raw, headers={}, base64_body=True)

    assert parse_request(event, max_body_bytes=LIMIT).body == raw


def test_missing_body_is_empty_bytes():
    event = make_event(b"", headers={})
    del event["body"]

    assert parse_request(event, max_body_bytes=LIMIT).body == b""


def test_rest_api_v1_event_is_understood():
    event = {
        "httpMethod": "POST",
        "path": "/prod/webhooks/stripe",
        "headers": {"Content-Type": "application/json"},
        "requestContext": {"requestId": "r-1"},
        "body": "{}",
        "isBase64Encoded": False,
    }

    request = parse_request(event, max_body_bytes=LIMIT)

    assert (request.source, request.body, request.headers) == (
        "stripe",
        b"{}",
        {"content-type": "application/json"},
    )


def test_source_falls_back_to_the_raw_path():
    event = make_event(b"{}", headers={})
    event["pathParameters"] = {"parameter1": "value1"}  # what `sam local generate-event` writes

    assert parse_request(event, max_body_bytes=LIMIT).source == "stripe"


def test_names_differing_only_by_case_are_joined_like_http_api_does():
    assert lowercase_headers({"X-A": "1", "x-a": "2", "n": 3}) == {"x-a": "1,2", "n": "3"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", ""])
def test_methods_other_than_post_are_refused(method):
    with pytest.raises(MethodNotAllowedError):
        parse_request(make_event(b"{}", headers={}, method=method), max_body_bytes=LIMIT)


@pytest.mark.parametrize("source", ["Stripe", "../etc", "a" * 65, "-x", "st ripe"])
def test_invalid_source_names_are_unknown(source):
    event = make_event(b"{}", headers={})
    event["pathParameters"] = {"source": source}

    with pytest.raises(UnknownSourceError):
        parse_request(event, max_body_bytes=LIMIT)


def test_body_over_the_limit_is_refused():
    with pytest.raises(PayloadTooLargeError):
        parse_request(make_event(b"x" * 1025, headers={}), max_body_bytes=1024)


def test_base64_body_over_the_limit_is_refused_before_decoding():
    event = make_event(b"x" * 4096, headers={}, base64_body=True)

    with pytest.raises(PayloadTooLargeError):
        parse_request(event, max_body_bytes=1024)


def test_body_at_the_limit_is_accepted():
    assert len(parse_request(make_event(b"x" * 1024, headers={}), max_body_bytes=1024).body) == 1024


@pytest.mark.parametrize("body", ["not base64!", base64.b64encode(b"abc").decode()[:-1]])
def test_invalid_base64_is_malformed(body):
    event = make_event(b"", headers={})
    event.update(body=body, isBase64Encoded=True)

    with pytest.raises(MalformedBodyError):
        parse_request(event, max_body_bytes=LIMIT)


def test_non_string_body_is_malformed():
    event = make_event(b"", headers={})
    event["body"] = {"already": "parsed"}

    with pytest.raises(MalformedBodyError):
        parse_request(event, max_body_bytes=LIMIT)


def test_text_body_that_cannot_be_utf8_is_malformed():
    event = make_event(b"", headers={})
    event["body"] = "lone surrogate \ud800"

    with pytest.raises(MalformedBodyError):
        parse_request(event, max_body_bytes=LIMIT)
