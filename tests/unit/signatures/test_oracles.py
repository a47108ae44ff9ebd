"""Vendor SDKs as oracles: what they sign we accept, what we sign they accept, and we reject
what they reject. The SDKs read the real clock, so these tests sign at the real time."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qsl

import pytest
import resend
import standardwebhooks.webhooks as stdwh
import svix.webhooks
from hubspot.utils.signature import Signature as HubSpotSignature
from paddle_billing.Notifications import Secret as PaddleSecret
from paddle_billing.Notifications import Verifier as PaddleVerifier
from paddle_billing.Notifications.PaddleSignature import PaddleSignature
from slack_sdk.signature import SignatureVerifier as SlackVerifier
from square.utils.webhooks_helper import verify_signature as square_verify
from twilio.request_validator import RequestValidator

from tests.unit.signatures.factory import URL, case, whsec
from webhook_to_track.errors import (
    MalformedSignatureError,
    SignatureError,
    SignatureMismatchError,
    TimestampOutOfToleranceError,
)

BODY = '{"type":"invoice.paid","id":"evt_1","data":{"note":"caf\u00e9 \U0001f389"}}'.encode()
FORM = b"AccountSid=AC1&Body=Hello+caf%C3%A9+%F0%9F%8E%89&From=%2B14158675309&To=%2B1800&Body=2"


def now() -> int:
    return int(time.time())


# --- Standard Webhooks, Svix, Clerk, Resend -----------------------------------------------------


@pytest.mark.parametrize("name", ["standard-webhooks", "svix", "clerk", "resend"])
def test_signed_by_standardwebhooks_verified_by_us(name):
    c, ts = case(name), now()
    family = "webhook" if name == "standard-webhooks" else "svix"
    signature = stdwh.Webhook(c.secret).sign(
        "msg_1", datetime.fromtimestamp(ts, UTC), BODY.decode()
    )
    headers = {
        f"{family}-id": "msg_1",
        f"{family}-timestamp": str(ts),
        f"{family}-signature": signature,
    }

    c.verifier(now=ts).verify(BODY, headers)


@pytest.mark.parametrize("family", ["webhook", "svix"])
def test_signed_by_svix_verified_by_us_under_either_header_family(family):
    c, ts = case("svix"), now()
    signature = svix.webhooks.Webhook(c.secret).sign(
        "msg_2", datetime.fromtimestamp(ts, UTC), BODY.decode()
    )
    headers = {
        f"{family}-id": "msg_2",
        f"{family}-timestamp": str(ts),
        f"{family}-signature": signature,
    }

    c.verifier(now=ts).verify(BODY, headers)
    case("standard-webhooks").verifier(c.secret, now=ts).verify(BODY, headers)


def test_signed_by_us_verified_by_standardwebhooks_svix_and_resend():
    c = case("standard-webhooks")
    headers = c.preset.sign(BODY, c.secret, now())
    svix_headers = case("svix").preset.sign(BODY, c.secret, now())

    assert stdwh.Webhook(c.secret).verify(BODY, headers) == {
        "type": "invoice.paid", "id": "evt_1", "data": {"note": "caf\u00e9 \U0001f389"}
    }  # fmt: skip
    assert svix.webhooks.Webhook(c.secret).verify(BODY, svix_headers) is None  # 2.x returns None
    resend.Webhooks.verify(
        {
            "payload": BODY.decode(),
            "headers": {
                "id": svix_headers["svix-id"],
                "timestamp": svix_headers["svix-timestamp"],
                "signature": svix_headers["svix-signature"],
            },
            "webhook_secret": c.secret,
        }
    )


def test_rotation_list_with_unknown_versions_is_read_like_the_sdk():
    c, ts = case("standard-webhooks"), now()
    ours = c.preset.sign(BODY, c.secret, ts)
    listed = {
        **ours,
        "webhook-signature": "v1a,AAAA v1,AAAA " + ours["webhook-signature"] + " v2,zzz",
    }

    assert stdwh.Webhook(c.secret).verify(BODY, listed)
    c.verifier(now=ts).verify(BODY, listed)


def test_a_malformed_entry_is_a_valueerror_in_the_sdk_and_a_signature_error_here():
    c, ts = case("standard-webhooks"), now()
    headers = {**c.preset.sign(BODY, c.secret, ts), "webhook-signature": "garbage"}

    with pytest.raises(ValueError, match="not enough values"):
        stdwh.Webhook(c.secret).verify(BODY, headers)
    with pytest.raises(MalformedSignatureError):
        c.verifier(now=ts).verify(BODY, headers)


@pytest.mark.parametrize("offset", [-301, 301])
def test_we_and_standardwebhooks_reject_the_same_timestamps(offset):
    c, ts = case("standard-webhooks"), now()
    headers = c.preset.sign(BODY, c.secret, ts + offset)

    with pytest.raises(stdwh.WebhookVerificationError):
        stdwh.Webhook(c.secret).verify(BODY, headers)
    with pytest.raises(TimestampOutOfToleranceError):
        c.verifier(now=ts).verify(BODY, headers)


def test_a_stripe_style_secret_is_not_a_standard_webhooks_key():
    # reference C.8: whsec_ is base64 for Standard Webhooks and the raw key for Stripe
    secret = whsec(7)
    stripe_header = case("stripe").preset.sign(BODY, secret, now())["stripe-signature"]
    signature = "v1," + base64.b64encode(bytes.fromhex(stripe_header.split("v1=")[1])).decode()
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now()),
        "webhook-signature": signature,
    }

    with pytest.raises(SignatureMismatchError):
        case("standard-webhooks").verifier(secret, now=now()).verify(BODY, headers)


# --- Slack --------------------------------------------------------------------------------------


def test_slack_sdk_and_we_agree_both_ways():
    c, ts = case("slack-form"), now()
    sdk = SlackVerifier(c.secret, clock=SimpleNamespace(now=lambda: ts))
    signature = sdk.generate_signature(timestamp=str(ts), body=FORM)
    headers = {"x-slack-request-timestamp": str(ts), "x-slack-signature": signature}

    c.verifier(now=ts).verify(FORM, headers)
    assert sdk.is_valid_request(FORM, c.preset.sign(FORM, c.secret, ts))
    stale = c.preset.sign(FORM, c.secret, ts - 301)
    assert not sdk.is_valid_request(FORM, stale)
    with pytest.raises(TimestampOutOfToleranceError):
        c.verifier(now=ts).verify(FORM, stale)


# --- Twilio -------------------------------------------------------------------------------------


def _params(form: bytes) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for k, v in parse_qsl(form.decode(), keep_blank_values=True):
        grouped.setdefault(k, []).append(v)
    return grouped


class _MultiDict(dict):
    """What a web framework hands Twilio's validator for repeated form fields."""

    def getlist(self, name):
        return self[name]


def test_twilio_sdk_and_we_agree_on_form_bodies_with_repeated_fields():
    c = case("twilio")
    validator = RequestValidator(c.secret)
    params = _MultiDict(_params(FORM))

    c.verifier().verify(FORM, {c.header: validator.compute_signature(URL, params)})
    assert validator.validate(URL, params, c.preset.sign(FORM, c.secret, 0, c.options)[c.header])


def test_twilio_sdk_signature_over_the_url_with_port_is_accepted():
    c = case("twilio")
    signature = RequestValidator(c.secret).compute_signature(
        URL.replace(".com/", ".com:443/"), _MultiDict(_params(FORM))
    )

    c.verifier().verify(FORM, {c.header: signature})


def test_twilio_sdk_and_we_agree_on_json_bodies():
    c = case("twilio-json")
    validator = RequestValidator(c.secret)
    signed_url = f"{URL}&bodySHA256={validator.compute_hash(BODY.decode())}"

    c.verifier().verify(BODY, {c.header: validator.compute_signature(signed_url, {})})
    ours = c.preset.sign(BODY, c.secret, 0, c.options)[c.header]
    assert validator.validate(signed_url, BODY.decode(), ours)
    tampered = BODY.replace(b"evt_1", b"evt_2")
    assert not validator.validate(signed_url, tampered.decode(), ours)
    with pytest.raises(SignatureMismatchError):
        c.verifier().verify(tampered, {c.header: ours})


# --- Paddle -------------------------------------------------------------------------------------


def _paddle_request(headers: dict[str, str], body: bytes) -> SimpleNamespace:
    # Paddle's Verifier reads request.headers.get("Paddle-Signature"): the case matters.
    return SimpleNamespace(headers={"Paddle-Signature": headers["paddle-signature"]}, body=body)


def test_signed_like_paddles_sdk_verified_by_us():
    c, ts = case("paddle"), now()
    digest = PaddleSignature.calculate_hmac(c.secret, f"{ts}:".encode() + BODY).hexdigest()
    old = PaddleSignature.calculate_hmac(c.old_secret, f"{ts}:".encode() + BODY).hexdigest()

    c.verifier(now=ts).verify(BODY, {"paddle-signature": f"ts={ts};h1={old};h1={digest}"})


def test_signed_by_us_verified_by_paddles_sdk():
    c, ts = case("paddle"), now()
    headers = c.preset.sign(BODY, c.secret, ts)

    assert PaddleVerifier().verify(_paddle_request(headers, BODY), PaddleSecret(c.secret))
    assert not PaddleVerifier().verify(
        _paddle_request(headers, BODY.replace(b"evt_1", b"evt_2")), PaddleSecret(c.secret)
    )
    assert not PaddleVerifier().verify(
        SimpleNamespace(headers=headers, body=BODY), PaddleSecret(c.secret)
    )


def test_paddles_sdk_and_we_both_refuse_a_ten_second_old_signature():
    c, ts = case("paddle"), now()
    headers = c.preset.sign(BODY, c.secret, ts - 10)

    assert not PaddleVerifier().verify(_paddle_request(headers, BODY), PaddleSecret(c.secret))
    with pytest.raises(TimestampOutOfToleranceError):
        c.verifier(now=ts).verify(BODY, headers)


# --- HubSpot ------------------------------------------------------------------------------------


def test_hubspot_sdk_and_we_agree_on_v3():
    c, ts_ms = case("hubspot"), now() * 1000
    signature = HubSpotSignature.get_signature(
        c.secret, BODY.decode(), "v3", http_uri=URL, http_method="POST", timestamp=str(ts_ms)
    )
    headers = {"x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": str(ts_ms)}

    c.verifier(now=ts_ms / 1000).verify(BODY, headers)
    ours = c.preset.sign(BODY, c.secret, ts_ms // 1000, c.options)
    assert ours == headers
    assert HubSpotSignature.is_valid(
        ours["x-hubspot-signature-v3"], c.secret, BODY.decode(), URL, "POST", "v3", str(ts_ms)
    )


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_hubspot_sdk_and_we_agree_on_the_legacy_versions(version):
    c = case(f"hubspot-{version}")
    uri = URL if version == "v2" else None
    signature = HubSpotSignature.get_signature(c.secret, BODY.decode(), version, http_uri=uri)

    c.verifier().verify(BODY, {"x-hubspot-signature": signature})
    ours = c.preset.sign(BODY, c.secret, 0, c.options)["x-hubspot-signature"]
    assert HubSpotSignature.is_valid(ours, c.secret, BODY.decode(), uri, "POST", version)


# --- Square -------------------------------------------------------------------------------------


def test_square_sdk_verifies_what_we_sign_and_refuses_what_we_refuse():
    c = case("square")
    signature = c.preset.sign(BODY, c.secret, 0, c.options)[c.header]

    assert square_verify(
        request_body=BODY.decode(), signature_header=signature, signature_key=c.secret,
        notification_url=URL,
    )  # fmt: skip
    assert not square_verify(
        request_body=BODY.decode(), signature_header=signature, signature_key=c.secret,
        notification_url=URL + "/",
    )  # fmt: skip
    with pytest.raises(SignatureError):
        c.verifier(url=URL + "/").verify(BODY, {c.header: signature})
