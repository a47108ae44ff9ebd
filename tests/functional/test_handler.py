"""The whole ingest path through the real lambda_handler, then the forwarder on what it queued:
moto for DynamoDB and SQS, a real HTTP server for Userpilot. Every status code of the spec's
table is produced here, each with its JSON body."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from tests.factories import (
    STRIPE_OLD_SECRET,
    STRIPE_SECRET,
    USERPILOT_KEY,
    make_event,
    payload,
    secrets_json,
    stripe_header,
    stripe_payload,
)
from tests.functional.conftest import TABLE, Answer, Forwarded
from tests.userpilot_stub import Reply, UserpilotStub
from webhook_to_track.idempotency import DELIVERY_PREFIX, delivery_config, persistence_layer
from webhook_to_track.settings import get_settings

Invoke = Callable[..., Answer]
Forward = Callable[..., Forwarded]
EVENT_ID = "evt_1PqR7sLkdIwHu7ix0aBcDeFg"
KEYS = [
    f"stripe:{EVENT_ID}:stripe.invoice_paid:0",
    f"stripe:{EVENT_ID}:stripe.invoice_paid:1",
]


def queued_keys(answer: Answer) -> list[str]:
    return [call["key"] for call in answer.body.get("queued", [])]


# --- 202: accepted, queued, then forwarded ------------------------------------------------------


def test_signed_invoice_paid_is_queued_then_forwarded(
    invoke: Invoke, forward: Forward, userpilot: UserpilotStub
):
    # Given a signed Stripe invoice.paid delivery
    event = make_event()

    # When the function receives it
    answer = invoke(event)

    # Then it answers 202 once both calls are queued, without calling Userpilot
    assert answer.status == 202
    assert answer.body["status"] == "accepted"
    assert answer.body["delivery_id"] == EVENT_ID
    assert answer.body["queued"] == [
        {"key": KEYS[0], "kind": "track", "name": "invoice_paid"},
        {"key": KEYS[1], "kind": "track", "name": "subscription_renewed"},
    ]
    assert userpilot.requests == []

    # And the forwarder sends both, exactly as Userpilot's API expects
    forwarded = forward()
    assert forwarded.failures == 0
    assert len(userpilot.requests) == 2
    first = userpilot.requests[0]
    assert first.method == "POST"
    assert first.path == "/v1/track"
    assert first.headers["Authorization"] == f"Token {USERPILOT_KEY}"
    assert first.headers["X-API-Version"] == "2020-09-22"
    assert first.headers["Content-Type"] == "application/json"
    assert first.json() == {
        "user_id": "user_8842",
        "event_name": "invoice_paid",
        "metadata": {
            "source": "stripe",
            "stripe_event_id": "evt_1PqR7sLkdIwHu7ix0aBcDeFg",
            "stripe_event_type": "invoice.paid",
            "livemode": False,
            "occurred_at": "2024-08-20T12:00:03.000Z",
            "stripe_meta_crm_account": "0015g00000XyZAB",
            "invoice_id": "in_1PqR7pLkdIwHu7ixQwErTyUi",
            "amount": 49.0,
            "currency": "USD",
            "plan": "Growth Monthly",
            "billing_reason": "subscription_cycle",
            "paid_at": "2024-08-20T12:00:03.000Z",
            "customer_email": "jane.doe@example.com",
        },
    }
    assert userpilot.requests[1].json()["event_name"] == "subscription_renewed"


def test_base64_encoded_body_is_verified_on_its_decoded_bytes(invoke: Invoke):
    answer = invoke(make_event(base64_body=True))

    assert answer.status == 202
    assert queued_keys(answer) == KEYS


def test_signature_from_the_old_secret_is_accepted_during_rotation(invoke: Invoke):
    body = payload("stripe", "invoice.paid")

    answer = invoke(make_event(body, signature=stripe_header(body, secret=STRIPE_OLD_SECRET)))

    assert answer.status == 202


def test_duplicate_delivery_is_queued_and_forwarded_once(
    invoke: Invoke, forward: Forward, userpilot: UserpilotStub
):
    event = make_event()

    first = invoke(event)
    second = invoke(make_event())  # Stripe's retry: same event id, new signature
    forward()

    assert first.status == second.status == 202
    assert second.body["duplicate"] is True
    assert second.body["queued"] == first.body["queued"]
    assert len(userpilot.requests) == 2  # two track events, sent once


def test_event_without_user_id_is_recorded_as_rejected_not_sent(invoke: Invoke, userpilot):
    document = json.loads(payload("stripe", "invoice.paid"))
    document["data"]["object"]["metadata"] = {}
    document["data"]["object"]["subscription_details"]["metadata"] = {}
    body = json.dumps(document).encode()

    answer = invoke(make_event(body))

    assert answer.status == 202
    assert answer.body["queued"] == []
    reasons = [r["reason"] for r in answer.body["rejected"]]
    assert len(reasons) == 2
    assert all(
        r.startswith("no user id in the payload (tried: data.object.metadata") for r in reasons
    )
    assert userpilot.requests == []


# --- 200: nothing to do -------------------------------------------------------------------------


def test_event_type_without_rule_is_acknowledged_and_ignored(invoke: Invoke, userpilot):
    answer = invoke(make_event(stripe_payload(type="customer.created")))

    assert answer.status == 200
    assert answer.body == {
        "status": "ignored",
        "source": "stripe",
        "delivery_id": "evt_1PqR7sLkdIwHu7ix0aBcDeFg",
        "reason": "no rule matched",
    }
    assert userpilot.requests == []


# --- 4xx: the sender should not retry as is -----------------------------------------------------


def test_malformed_json_is_400(invoke: Invoke):
    body = b'{"id": "evt_1", "type": "invoice.paid",'

    answer = invoke(make_event(body))

    assert answer.status == 400
    assert answer.error_code == "malformed_body"
    assert "not valid JSON" in answer.body["error"]["message"]


@pytest.mark.parametrize(
    "number",
    ["9" * 5000, "NaN", "Infinity", "-Infinity", "1e999"],
    ids=["5000-digits", "nan", "infinity", "minus-infinity", "overflow"],
)
def test_numbers_json_does_not_have_are_400_not_500(invoke: Invoke, number: str):
    # Given a signed body that is the sample with one number replaced
    body = payload("stripe", "invoice.paid").replace(
        b'"livemode": false', b'"n": ' + number.encode()
    )

    answer = invoke(make_event(body))

    assert answer.status == 400
    assert answer.error_code == "malformed_body"


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        (None, "signature_missing"),
        ("t=abc,v1=" + "0" * 64, "signature_malformed"),
        (stripe_header(b"other body"), "signature_mismatch"),
        (
            stripe_header(payload("stripe", "invoice.paid"), timestamp=int(time.time()) - 301),
            "timestamp_out_of_tolerance",
        ),
    ],
    ids=["missing", "malformed", "mismatch", "stale"],
)
def test_bad_signatures_are_401_with_the_reason(invoke: Invoke, userpilot, signature, code):
    body = payload("stripe", "invoice.paid")
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["stripe-signature"] = signature

    answer = invoke(make_event(body, headers=headers))

    assert answer.status == 401
    assert answer.error_code == code
    assert STRIPE_SECRET not in json.dumps(answer.body)
    assert userpilot.requests == []


def test_source_without_secret_rejects_everything(invoke: Invoke, env):
    env(SECRETS_JSON=secrets_json(zendesk=["abc"]))

    answer = invoke(make_event())

    assert answer.status == 401
    assert answer.error_code == "no_secret"


def test_unknown_source_is_404(invoke: Invoke):
    answer = invoke(make_event(source="nosuchsender"))

    assert answer.status == 404
    assert answer.error_code == "unknown_source"


def test_method_other_than_post_is_405(invoke: Invoke):
    answer = invoke(make_event(method="GET"))

    assert answer.status == 405
    assert answer.error_code == "method_not_allowed"
    assert answer.headers["allow"] == "POST"


def test_same_delivery_in_progress_is_409(invoke: Invoke):
    # Given another invocation holds the lock on this delivery (as Powertools writes it)
    layer: BasePersistenceLayer = persistence_layer(TABLE, DELIVERY_PREFIX)
    layer.configure(delivery_config(604800), key_prefix=DELIVERY_PREFIX)
    layer.save_inprogress(
        data={"source": "stripe", "delivery_id": "evt_1PqR7sLkdIwHu7ix0aBcDeFg"},
        remaining_time_in_millis=60_000,
    )

    answer = invoke(make_event())

    assert answer.status == 409
    assert answer.error_code == "delivery_in_progress"
    assert answer.headers["retry-after"] == "10"


def test_body_over_the_limit_is_413(invoke: Invoke, env):
    env(MAX_BODY_BYTES="2048")

    answer = invoke(make_event())  # the sample is 5 KB

    assert answer.status == 413
    assert answer.error_code == "payload_too_large"


# --- 5xx: the sender should retry ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("USERPILOT_HOST", "ftp://example.com"),
        ("IDEMPOTENCY_TABLE", ""),
        ("SECRETS_JSON", "{not json"),
    ],
)
def test_misconfiguration_is_500_without_details(invoke: Invoke, env, variable, value):
    env(**{variable: value})

    answer = invoke(make_event())

    assert answer.status == 500
    assert answer.error_code == "configuration_error"
    assert (
        answer.body["error"]["message"]
        == "the function is misconfigured; its log names the problem"
    )


def test_the_answer_never_waits_on_userpilot(invoke: Invoke, userpilot: UserpilotStub):
    # Given Userpilot is down and slow
    userpilot.always(Reply(500, delay_s=3))

    # When a delivery arrives
    started = time.monotonic()
    answer = invoke(make_event())
    elapsed = time.monotonic() - started

    # Then it is accepted at once: its calls wait in the queue, Userpilot was not called
    assert answer.status == 202
    assert queued_keys(answer) == KEYS
    assert elapsed < 2
    assert userpilot.requests == []


def test_queue_refusing_the_calls_is_503_and_the_retry_runs_again(invoke: Invoke, env, aws):
    # Given SQS cannot take the calls (here: the queue does not exist)
    env(FORWARD_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue")

    answer = invoke(make_event())

    # Then the sender is told to retry, and the delivery record is released
    assert answer.status == 503
    assert answer.error_code == "queue_unavailable"
    assert answer.headers["retry-after"] == "30"
    assert aws.scan(TableName=TABLE)["Count"] == 0

    # When SQS is back (a new container with the fixed setting), the retry is queued in full
    env()
    get_settings.cache_clear()
    retried = invoke(make_event())
    assert (retried.status, queued_keys(retried)) == (202, KEYS)


def test_unavailable_idempotency_store_is_503(invoke: Invoke, env):
    env(IDEMPOTENCY_TABLE="no-such-table")

    answer = invoke(make_event())

    assert answer.status == 503
    assert answer.error_code == "idempotency_store_unavailable"


def test_unexpected_failure_is_a_json_500_without_traceback(invoke: Invoke, monkeypatch):
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom: secret internals")

    monkeypatch.setattr("webhook_to_track.ingest.handler.open_delivery", explode)

    answer = invoke(make_event())

    assert answer.status == 500
    assert answer.body == {
        "error": {
            "code": "internal_error",
            "message": "internal error; the function log has the details",
            "request_id": answer.body["error"]["request_id"],
        }
    }


# --- observability ------------------------------------------------------------------------------


def test_logs_carry_ids_but_never_bodies_signatures_or_secrets(invoke: Invoke, log_lines):
    body = payload("stripe", "invoice.paid")
    signature = stripe_header(body)
    event = make_event(body, signature=signature, request_id="req-abc-123")

    invoke(event)

    logs = log_lines()
    assert [line["message"] for line in logs] == [
        "signature verified",
        "calls queued",
        "delivery answered",
    ]
    assert all(line["correlation_id"] == "req-abc-123" for line in logs)
    assert all(line["source"] == "stripe" for line in logs)
    assert all(line["delivery_id"] == "evt_1PqR7sLkdIwHu7ix0aBcDeFg" for line in logs)
    text = json.dumps(logs)
    for secret in (signature.split("v1=")[1], STRIPE_SECRET, USERPILOT_KEY, "jane.doe", "Jane.Doe"):
        assert secret not in text


def test_refusals_are_logged_with_status_and_reason(invoke: Invoke, log_lines):
    body = payload("stripe", "invoice.paid")

    invoke(make_event(body, signature=stripe_header(body, secret="whsec_wrong")))

    (line,) = log_lines()
    assert line["level"] == "WARNING"
    assert line["message"] == "delivery refused"
    assert (line["status"], line["reason"], line["source"]) == (401, "signature_mismatch", "stripe")


def test_rejections_are_counted_per_source_and_reason(invoke: Invoke, capsys):
    body = payload("stripe", "invoice.paid")

    invoke(make_event(body, signature=stripe_header(body, secret="whsec_wrong")))

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    rejected = [b for b in blobs if "Rejected" in b]
    assert len(rejected) == 1
    assert rejected[0]["source"] == "stripe"
    assert rejected[0]["reason"] == "signature_mismatch"
    dimension_sets = rejected[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    # per source, and the totals every alarm watches
    assert sorted(sorted(d) for d in dimension_sets) == [
        ["reason", "service"],
        ["reason", "service", "source"],
    ]
    received = [b for b in blobs if "Received" in b]
    assert received
    assert received[0]["source"] == "stripe"


def test_encoded_body_marker_is_respected(invoke: Invoke):
    event = make_event()
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    # isBase64Encoded stays false: the function must not guess, so the bytes do not match

    answer = invoke(event)

    assert answer.status == 401
    assert answer.error_code == "signature_mismatch"
