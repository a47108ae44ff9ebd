"""Factories for test inputs: each negative test changes exactly one ingredient."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from webhook_to_track.local.events import make_apigw_event
from webhook_to_track.signatures import StripeVerifier

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = ROOT / "events" / "payloads"
TEMPLATE = ROOT / "template.yaml"
# The tests' own senders (stripe, github, hubspot): copies of shipped source files, samples and
# local secrets, so tests that need a real sender do not change when the user edits, adds or
# removes the shipped ones. SOURCES_DIR (or --sources-dir) points the function (or a command) here.
VEHICLE = ROOT / "tests" / "vehicle"
VEHICLE_SOURCES = VEHICLE / "sources"
VEHICLE_PAYLOADS = VEHICLE / "payloads"
VEHICLE_SECRETS = VEHICLE / "local-secrets.json"

STRIPE_SECRET = "whsec_test_secret_for_the_test_suite"
STRIPE_OLD_SECRET = "whsec_test_secret_before_rotation"
USERPILOT_KEY = "up_test_key_for_the_test_suite"


def payload(source: str, name: str) -> bytes:
    """A sample payload of a vehicle sender (tests/vehicle/payloads), byte for byte."""
    return (VEHICLE_PAYLOADS / source / f"{name}.json").read_bytes()


def stripe_payload(**changes: Any) -> bytes:
    """The invoice.paid sample with top-level keys changed (re-serialised: fine for new bodies)."""
    document = json.loads(payload("stripe", "invoice.paid"))
    document.update(changes)
    return json.dumps(document).encode()


def stripe_header(
    body: bytes,
    *,
    secret: str = STRIPE_SECRET,
    timestamp: int | None = None,
    scheme: str = "v1",
    extra: str = "",
) -> str:
    """The Stripe-Signature value for ``body``; ``scheme`` and ``extra`` bend it for tests."""
    ts = int(time.time()) if timestamp is None else timestamp
    value = StripeVerifier.sign(body, secret, ts)["stripe-signature"]
    if scheme != "v1":
        value = value.replace("v1=", f"{scheme}=")
    return value + extra


def secrets_json(api_key: str = USERPILOT_KEY, **sources: list[str]) -> str:
    if not sources:
        sources = {"stripe": [STRIPE_SECRET, STRIPE_OLD_SECRET]}
    return json.dumps({"userpilot_api_key": api_key, "sources": sources})


def make_event(
    body: bytes | None = None,
    *,
    source: str = "stripe",
    headers: dict[str, str] | None = None,
    signature: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A signed HTTP API event for ``body`` (default: the invoice.paid sample).

    ``headers`` replaces the default headers; ``signature`` replaces only the signature;
    other keyword arguments go to make_apigw_event (method, base64_body, request_id...).
    """
    body = payload("stripe", "invoice.paid") if body is None else body
    if headers is None:
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "stripe-signature": signature if signature is not None else stripe_header(body),
        }
    return make_apigw_event(source, body, headers, **overrides)


def deployed(name: str, **outputs: str) -> dict[str, Any]:
    """A DescribeStacks answer for one stack with these outputs."""
    return {
        "Stacks": [
            {
                "StackName": name,
                "CreationTime": datetime(2026, 12, 1, tzinfo=UTC),
                "StackStatus": "CREATE_COMPLETE",
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
            }
        ]
    }
