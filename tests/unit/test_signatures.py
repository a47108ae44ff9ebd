"""StripeVerifier: accepts what Stripe signs, and rejects every single-ingredient change."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.factories import STRIPE_OLD_SECRET, STRIPE_SECRET, payload, stripe_header
from webhook_to_track.errors import (
    MalformedSignatureError,
    MissingSignatureError,
    NoSecretError,
    SignatureError,
    SignatureMismatchError,
    TimestampOutOfToleranceError,
)
from webhook_to_track.signatures import StripeVerifier

NOW = 1_790_000_000
BODY = payload("stripe", "invoice.paid")


def verifier(*secrets: str, tolerance_s: int = 300, now: float = NOW) -> StripeVerifier:
    return StripeVerifier(secrets or (STRIPE_SECRET,), tolerance_s=tolerance_s, clock=lambda: now)


def headers(value: str) -> dict[str, str]:
    return {"stripe-signature": value}


def test_valid_signature_is_accepted():
    verifier().verify(BODY, headers(stripe_header(BODY, timestamp=NOW)))


def test_any_secret_of_several_may_match():
    value = stripe_header(BODY, secret=STRIPE_OLD_SECRET, timestamp=NOW)

    verifier(STRIPE_SECRET, STRIPE_OLD_SECRET).verify(BODY, headers(value))


def test_several_v1_signatures_during_rotation_any_may_match():
    # Stripe sends one v1 per active endpoint secret while an old one is kept alive
    old = stripe_header(BODY, secret=STRIPE_OLD_SECRET, timestamp=NOW)
    new_sig = stripe_header(BODY, timestamp=NOW).split("v1=")[1]

    verifier().verify(BODY, headers(f"{old},v1={new_sig}"))


def test_v0_scheme_is_ignored_even_when_it_matches():
    value = stripe_header(BODY, timestamp=NOW, scheme="v0")

    with pytest.raises(MalformedSignatureError, match="no v1 signature"):
        verifier().verify(BODY, headers(value))


def test_secret_is_used_as_is_not_base64_decoded():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # valid base64 after the prefix

    verifier(secret).verify(BODY, headers(stripe_header(BODY, secret=secret, timestamp=NOW)))


# --- one ingredient changed at a time -----------------------------------------------------------


def test_one_changed_body_byte_is_rejected():
    value = stripe_header(BODY, timestamp=NOW)
    tampered = BODY.replace(b"4900", b"4901", 1)

    with pytest.raises(SignatureMismatchError):
        verifier().verify(tampered, headers(value))


def test_reserialised_json_is_rejected():
    import json

    value = stripe_header(BODY, timestamp=NOW)

    with pytest.raises(SignatureMismatchError):
        verifier().verify(json.dumps(json.loads(BODY)).encode(), headers(value))


def test_other_secret_is_rejected():
    value = stripe_header(BODY, secret="whsec_someone_else", timestamp=NOW)

    with pytest.raises(SignatureMismatchError):
        verifier().verify(BODY, headers(value))


def test_changed_timestamp_is_rejected():
    value = stripe_header(BODY, timestamp=NOW).replace(f"t={NOW}", f"t={NOW + 1}")

    with pytest.raises(SignatureMismatchError):
        verifier().verify(BODY, headers(value))


@pytest.mark.parametrize(("offset", "direction"), [(-301, "past"), (301, "future")])
def test_timestamp_outside_tolerance_is_rejected_in_both_directions(offset, direction):
    value = stripe_header(BODY, timestamp=NOW + offset)

    with pytest.raises(TimestampOutOfToleranceError) as caught:
        verifier().verify(BODY, headers(value))
    assert caught.value.details["direction"] == direction


@pytest.mark.parametrize("offset", [-300, 300])
def test_timestamp_at_the_tolerance_edge_is_accepted(offset):
    verifier().verify(BODY, headers(stripe_header(BODY, timestamp=NOW + offset)))


def test_tolerance_is_configurable():
    value = stripe_header(BODY, timestamp=NOW - 30)

    with pytest.raises(TimestampOutOfToleranceError):
        verifier(tolerance_s=10).verify(BODY, headers(value))


def test_header_name_is_looked_up_lowercased():
    # parse_request lowercases names once; a mixed-case key here means it was not parsed
    with pytest.raises(MissingSignatureError):
        verifier().verify(BODY, {"Stripe-Signature": stripe_header(BODY, timestamp=NOW)})


def test_missing_header_is_rejected():
    with pytest.raises(MissingSignatureError):
        verifier().verify(BODY, {})


def test_changed_prefix_is_rejected():
    value = stripe_header(BODY, timestamp=NOW, scheme="v2")

    with pytest.raises(MalformedSignatureError):
        verifier().verify(BODY, headers(value))


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "t=,v1=" + "a" * 64,
        f"t={NOW}",
        f"v1={'a' * 64}",
        f"t={NOW},t={NOW},v1={'a' * 64}",
        f"t={NOW},v1=not-hex",
        f"t={NOW},v1={'a' * 63}",
        f"t=-{NOW},v1={'a' * 64}",
        f"t={NOW},v1={'é' * 64}",
        f"t={'9' * 40},v1={'a' * 64}",
        ",,,",
    ],
)
def test_malformed_headers_are_signature_errors_never_crashes(value):
    with pytest.raises(MalformedSignatureError):
        verifier().verify(BODY, headers(value))


def test_no_secret_fails_closed():
    with pytest.raises(NoSecretError):
        StripeVerifier([])
    with pytest.raises(NoSecretError):
        StripeVerifier(["", "  "])


@pytest.mark.parametrize(
    "body", ['{"emoji": "\U0001f389 paid"}'.encode(), b"\xff\xfe not utf-8 \x80", b""]
)
def test_any_bytes_can_be_verified(body):
    verifier().verify(body, headers(stripe_header(body, timestamp=NOW)))


def test_every_failure_is_a_signature_error():
    for cls in (
        MalformedSignatureError,
        MissingSignatureError,
        NoSecretError,
        SignatureMismatchError,
        TimestampOutOfToleranceError,
    ):
        assert issubclass(cls, SignatureError)
        assert cls.status_code == 401


# --- the official stripe package as an oracle ---------------------------------------------------


def test_signed_by_stripe_sdk_verified_by_us():
    now = int(time.time())
    value = stripe.WebhookSignature.generate_signature_header(
        BODY.decode(), STRIPE_SECRET, timestamp=now
    )

    StripeVerifier([STRIPE_SECRET]).verify(BODY, headers(value))


def test_signed_by_us_verified_by_stripe_sdk():
    value = StripeVerifier.sign(BODY, STRIPE_SECRET, int(time.time()))["stripe-signature"]

    assert stripe.WebhookSignature.verify_header(BODY.decode(), value, STRIPE_SECRET, tolerance=300)
    event = stripe.Webhook.construct_event(BODY, value, STRIPE_SECRET)
    assert event.id == "evt_1PqR7sLkdIwHu7ix0aBcDeFg"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, secret, t: (body.replace(b"4900", b"4901", 1), secret, t),
        lambda body, secret, t: (body, secret + "x", t),
        lambda body, secret, t: (body, secret, t - 301),
    ],
    ids=["body", "secret", "stale"],
)
def test_we_and_stripe_sdk_reject_the_same_tampering(tamper):
    now = int(time.time())
    body, secret, timestamp = tamper(BODY, STRIPE_SECRET, now)
    value = stripe.WebhookSignature.generate_signature_header(
        BODY.decode(), secret, timestamp=timestamp
    )

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(body.decode(), value, STRIPE_SECRET, tolerance=300)
    with pytest.raises(SignatureError):
        StripeVerifier([STRIPE_SECRET]).verify(body, headers(value))


def test_future_timestamp_differs_from_stripe_sdk_on_purpose():
    # Stripe's SDK only rejects old timestamps; we reject forged future ones too.
    future = int(time.time()) + 3600
    value = stripe.WebhookSignature.generate_signature_header(
        BODY.decode(), STRIPE_SECRET, timestamp=future
    )

    assert stripe.WebhookSignature.verify_header(BODY.decode(), value, STRIPE_SECRET, tolerance=300)
    with pytest.raises(TimestampOutOfToleranceError):
        StripeVerifier([STRIPE_SECRET]).verify(BODY, headers(value))
