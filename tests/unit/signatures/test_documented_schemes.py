"""Senders with no SDK and no published test vector: each scheme's documented formula, written
out independently with hmac/hashlib (reference/signatures.md §A), is what the preset signs and
what its verifier accepts."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from webhook_to_track.presets import PRESETS

NOW = 1_790_000_000
BODY = (
    b'{"id":"evt_1","event_id":"evt_1","type":"order.created","note":"caf\\u00e9 \xf0\x9f\x8e\x89"}'
)
SECRET = "documented-secret-2026"


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def mac(hash_name: str, content: bytes, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode(), content, hash_name).digest()


def zendesk() -> dict[str, str]:
    stamp = datetime.fromtimestamp(NOW, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "x-zendesk-webhook-signature": b64(mac("sha256", stamp.encode() + BODY)),
        "x-zendesk-webhook-signature-timestamp": stamp,
    }


def recurly() -> dict[str, str]:
    ms = NOW * 1000
    return {"recurly-signature": f"{ms},{mac('sha256', f'{ms}.'.encode() + BODY).hex()}"}


def front_app() -> dict[str, str]:
    ms = NOW * 1000
    return {
        "x-front-signature": b64(mac("sha256", f"{ms}:".encode() + BODY)),
        "x-front-request-timestamp": str(ms),
    }


def calendly() -> dict[str, str]:
    return {
        "calendly-webhook-signature": f"t={NOW},v1={mac('sha256', f'{NOW}.'.encode() + BODY).hex()}"
    }


DOCUMENTED: dict[str, Callable[[], dict[str, str]]] = {
    "zendesk": zendesk,
    "intercom": lambda: {"x-hub-signature": "sha1=" + mac("sha1", BODY).hex()},
    "recurly": recurly,
    "shopify": lambda: {"x-shopify-hmac-sha256": b64(mac("sha256", BODY))},
    "helpscout": lambda: {"x-helpscout-signature": b64(mac("sha1", BODY))},
    "front-rule": lambda: {"x-front-signature": b64(mac("sha1", BODY))},
    "front-app": front_app,
    "maxio": lambda: {"x-chargify-webhook-signature-hmac-sha-256": mac("sha256", BODY).hex()},
    "calendly": calendly,
    "typeform": lambda: {"typeform-signature": "sha256=" + b64(mac("sha256", BODY))},
    "lemonsqueezy": lambda: {"x-signature": mac("sha256", BODY).hex()},
    "github": lambda: {"x-hub-signature-256": "sha256=" + mac("sha256", BODY).hex()},
    "stripe": lambda: {
        "stripe-signature": f"t={NOW},v1={mac('sha256', f'{NOW}.'.encode() + BODY).hex()}"
    },
}
BASIC = "hooks-user:hooks-password"
CREDENTIALS: dict[str, tuple[str, dict[str, str]]] = {
    "chargebee": (BASIC, {"authorization": "Basic " + base64.b64encode(BASIC.encode()).decode()}),
    "freshdesk": (BASIC, {"authorization": "Basic " + base64.b64encode(BASIC.encode()).decode()}),
    "freshdesk-token": (SECRET, {"x-webhook-token": SECRET}),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_the_documented_formula_is_accepted(name):
    PRESETS[name].build([SECRET], {}, clock=lambda: NOW).verify(BODY, DOCUMENTED[name]())


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_the_signing_lab_writes_the_documented_signature(name):
    signed = PRESETS[name].sign(BODY, SECRET, NOW, {})

    for header, value in DOCUMENTED[name]().items():
        assert signed[header] == value


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_unsigned_senders_credentials_as_documented(name):
    secret, headers = CREDENTIALS[name]

    PRESETS[name].build([secret], {}).verify(BODY, headers)
    assert PRESETS[name].sign(BODY, secret, NOW, {}) == headers


def test_every_preset_has_an_oracle_a_vector_or_a_documented_formula():
    # SDK oracles: tests/unit/signatures/test_oracles.py and test_signatures.py (stripe);
    # published vectors: test_vectors.py; the generic preset: test_presets_generic.py.
    by_sdk_or_vector = {
        "stripe", "standard-webhooks", "svix", "clerk", "resend", "slack", "slack-form",
        "slack-interactivity", "twilio", "twilio-json", "paddle", "hubspot", "hubspot-v1",
        "hubspot-v2", "square", "github", "github-form", "hmac",
    }  # fmt: skip
    covered = by_sdk_or_vector | set(DOCUMENTED) | set(CREDENTIALS)

    assert covered >= set(PRESETS), sorted(set(PRESETS) - covered)
