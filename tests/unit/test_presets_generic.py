"""The generic hmac preset: a sender configured entirely in its source file, no code."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from webhook_to_track.errors import ConfigurationError, SignatureMismatchError
from webhook_to_track.presets import PRESETS

GENERIC = PRESETS["hmac"]
STANDARD_WEBHOOKS = {
    "header": "webhook-signature",
    "template": "{id}.{timestamp}.{body}",
    "encoding": "base64",
    "prefix": "v1,",
    "layout": "list",
    "separator": "space",
    "timestamp_header": "webhook-timestamp",
    "id_header": "webhook-id",
    "key_encoding": "whsec-base64",
}


def options(**given):
    resolved, problems = GENERIC.resolve_options(given)
    assert problems == []
    return resolved


def test_configured_as_standard_webhooks_it_verifies_what_the_official_sdk_signs():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = '{"type":"user.created","data":{"id":"u_1"}}'
    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign("msg_2Lh9KRb", now, body)
    headers = {
        "webhook-id": "msg_2Lh9KRb",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": f"v1,AAAA {signature}",
    }

    GENERIC.build([secret], options(**STANDARD_WEBHOOKS)).verify(body.encode(), headers)


def test_configured_as_github_it_matches_githubs_documented_vector():
    resolved = options(header="x-hub-signature-256", prefix="sha256=")
    vector = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    headers = {"x-hub-signature-256": f"sha256={vector}"}

    GENERIC.build(["It's a Secret to Everybody"], resolved).verify(b"Hello, World!", headers)


def test_sign_and_verify_round_trip_and_one_changed_byte_fails():
    resolved = options(
        header="x-acme-signature",
        template="{timestamp}:{body}",
        timestamp_header="x-acme-ts",
        encoding="base64",
        hash="sha512",
    )
    headers = GENERIC.sign(b'{"a": 1}', "s3cret", int(time.time()), resolved)

    GENERIC.build(["s3cret"], resolved).verify(b'{"a": 1}', headers)
    with pytest.raises(SignatureMismatchError):
        GENERIC.build(["s3cret"], resolved).verify(b'{"a": 2}', headers)


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({}, "header is required for preset 'hmac'"),
        ({"header": "x-s", "template": "{timestamp}.{body}"}, "a template with {timestamp} needs"),
        ({"header": "x-s", "template": "{body}{nope}"}, "unknown template fields ['nope']"),
        ({"header": "x-s", "template": "{url}{body}"}, "url must be the https URL registered"),
        ({"header": "x-s", "hash": "md5"}, "hash must be one of"),
        ({"header": "x-s", "prefix": "é"}, "prefix must be printable ASCII"),
    ],
)
def test_options_that_do_not_fit_are_reported(given, problem):
    _, problems = GENERIC.resolve_options(given)

    assert any(problem in p for p in problems), problems


def test_building_with_bad_options_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        GENERIC.build(["s"], {"template": "{timestamp}"})
