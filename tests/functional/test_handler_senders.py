"""Sender features through the real handler, with source files written for each test: header
rules, form bodies, shadow mode, setup handshakes and batch delivery ids."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.factories import secrets_json
from tests.functional.conftest import drain_queue, run_handler
from tests.userpilot_stub import UserpilotStub
from webhook_to_track.cli import signed_event
from webhook_to_track.registry import load_registry

SECRET = "local-test-secret-for-senders"
SVIX_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TWILIO_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/twilio"


def event(name: str, **spec: Any) -> dict[str, Any]:
    return {"event_name": name, **spec}


SOURCES: dict[str, dict[str, Any]] = {
    "shopify": {
        "signature": {"preset": "shopify"},
        "defaults": {"user_id": {"path": "email"}},
        "rules": [
            {
                "id": "orders",
                "match": {"$headers.x-shopify-topic": ["orders/create"]},
                "events": [
                    event(
                        "order_created",
                        metadata={"shop": {"path": "$headers.x-shopify-shop-domain"}},
                    )
                ],
            }
        ],
    },
    "twilio": {
        "signature": {"preset": "twilio", "url": TWILIO_URL},
        "rules": [
            {
                "id": "sms",
                "match": {"MessageStatus": ["delivered", "undelivered"]},
                "events": [
                    event(
                        "sms_status",
                        user_id={"path": "To"},
                        metadata={"status": {"path": "MessageStatus"}},
                    )
                ],
            }
        ],
    },
    "stripe-shadow": {
        "signature": {"preset": "stripe", "mode": "shadow"},
        "rules": [{"id": "all", "match": {}, "events": [event("seen", user_id={"path": "user"})]}],
    },
    "slack": {
        "signature": {"preset": "slack"},
        "rules": [
            {
                "id": "all",
                "match": {"type": ["event_callback"]},
                "events": [event("slack_event", user_id={"path": "event.user"})],
            }
        ],
    },
    "front-app": {"signature": {"preset": "front-app"}, "rules": []},
    "hubspot": {
        "signature": {
            "preset": "hubspot",
            "url": "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/hubspot",
        },
        "rules": [
            {
                "id": "contacts",
                "match": {},
                "events": [event("contact_created", for_each="$", user_id={"path": "@.objectId"})],
            }
        ],
    },
}


@pytest.fixture
def senders(tmp_path: Path, env, aws) -> Path:
    for name, document in SOURCES.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(document))
    secrets = {name: [SECRET] for name in SOURCES}
    env(SOURCES_DIR=str(tmp_path), SECRETS_JSON=secrets_json(**secrets))
    return tmp_path


def send(
    directory: Path,
    source: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    secret: str = SECRET,
):
    """Deliver a signed request to ingest, then forward whatever it queued: the whole path."""
    compiled = load_registry(directory).get(source)
    answer = run_handler(signed_event(compiled, body, secret, int(time.time()), headers))
    drain_queue(os.environ["FORWARD_QUEUE_URL"])
    return answer


def test_rules_select_on_a_header(senders: Path, userpilot: UserpilotStub):
    headers = {"x-shopify-topic": "orders/create", "x-shopify-shop-domain": "acme.myshopify.com"}

    answer = send(senders, "shopify", b'{"id": 1, "email": "a@b.c"}', headers)
    other = send(
        senders, "shopify", b'{"id": 2, "email": "a@b.c"}', {"x-shopify-topic": "carts/update"}
    )

    assert answer.status == 202
    assert userpilot.requests[0].json()["metadata"] == {
        "shop": "acme.myshopify.com",
        "source_event_id": answer.body["delivery_id"],
    }
    assert other.status == 200


def test_form_encoded_sender_is_verified_then_parsed(senders: Path, userpilot: UserpilotStub):
    fields = {
        "MessageSid": "SM1",
        "MessageStatus": "delivered",
        "To": "+15550001111",
        "AccountSid": "AC1",
    }
    body = urllib.parse.urlencode(fields).encode()

    answer = send(senders, "twilio", body)

    assert answer.status == 202
    assert userpilot.requests[0].json()["user_id"] == "+15550001111"
    assert userpilot.requests[0].json()["metadata"]["status"] == "delivered"


def test_shadow_mode_lets_a_bad_signature_through_and_says_so(
    senders: Path, userpilot, log_lines, capsys
):
    answer = send(senders, "stripe-shadow", b'{"id": "evt_1", "user": "u1"}', secret="whsec_wrong")

    assert answer.status == 202
    assert userpilot.requests[0].json()["event_name"] == "seen"
    logs = log_lines()
    warning = next(line for line in logs if line["level"] == "WARNING")
    assert warning["message"] == "signature check failed; shadow mode lets the delivery through"
    assert warning["reason"] == "signature_mismatch"
    assert "signature verified" not in [line["message"] for line in logs]
    assert "delivery opened unverified" in [line["message"] for line in logs]
    metrics = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    assert any(
        m.get("ShadowRejected") == [1.0] and m["reason"] == "signature_mismatch" for m in metrics
    )


def test_enforced_source_beside_a_shadow_one_still_rejects(senders: Path):
    answer = send(
        senders, "slack", b'{"type": "event_callback", "event": {"user": "U1"}}', secret="wrong"
    )

    assert answer.status == 401


def test_slack_url_verification_is_answered_with_the_challenge(senders: Path, userpilot):
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "t", "challenge": challenge, "type": "url_verification"}).encode()

    answer = send(senders, "slack", body)

    assert (answer.status, answer.body) == (200, {"challenge": challenge})
    assert userpilot.requests == []


def test_unsigned_handshake_is_still_rejected(senders: Path):
    body = b'{"challenge": "x", "type": "url_verification"}'

    answer = send(senders, "slack", body, secret="not-slacks")

    assert answer.status == 401


def test_front_challenge_is_answered(senders: Path):
    answer = send(
        senders,
        "front-app",
        b'{"type": "sync", "authorization": {"id": "cmp_abc"}}',
        {"x-front-challenge": "c-123"},
    )

    assert (answer.status, answer.body) == (200, {"challenge": "c-123"})


def test_batch_retry_with_new_attempt_numbers_is_a_duplicate(
    senders: Path, userpilot: UserpilotStub
):
    batch = [
        {"eventId": 1, "objectId": 901, "attemptNumber": 0},
        {"eventId": 2, "objectId": 902, "attemptNumber": 0},
    ]
    retry = [{**item, "attemptNumber": 1} for item in batch]

    first = send(senders, "hubspot", json.dumps(batch).encode())
    second = send(senders, "hubspot", json.dumps(retry).encode())

    assert (first.status, second.status) == (202, 202)
    assert second.body.get("duplicate") is True
    assert len(userpilot.requests) == 2


def test_senders_that_count_only_200_get_200(senders: Path, userpilot: UserpilotStub, env):
    directory = senders
    document = {
        "signature": {"preset": "lemonsqueezy"},
        "rules": [
            {
                "id": "o",
                "match": {"meta.event_name": ["order_created"]},
                "events": [event("order_created", user_id={"path": "meta.custom_data.user_id"})],
            }
        ],
    }
    (directory / "lemonsqueezy.json").write_text(json.dumps(document))
    env(
        SOURCES_DIR=str(directory),
        SECRETS_JSON=secrets_json(lemonsqueezy=[SECRET], **{name: [SECRET] for name in SOURCES}),
    )
    body = b'{"meta": {"event_name": "order_created", "custom_data": {"user_id": "u1"}}}'

    answer = send(directory, "lemonsqueezy", body)

    assert answer.status == 200  # Lemon Squeezy retries anything but 200
    assert answer.body["status"] == "accepted"
    assert len(userpilot.requests) == 1
