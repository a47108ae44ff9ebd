"""Signature test factories: a signed delivery per preset, then one ingredient changed at a time.

The tables below are written out by hand from the signatures reference, not read from the
presets, so a preset that drifts from its sender fails a test instead of agreeing with itself.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from webhook_to_track.presets import PRESETS, Preset
from webhook_to_track.signatures import Verifier

NOW = 1_790_000_000
URL = "https://hooks.example.com/webhooks/sender?stage=live"
OTHER_URL = "https://hooks.example.com/webhooks/sender/?stage=live"  # a trailing slash


def whsec(seed: int, size: int = 32) -> str:
    """A Standard Webhooks secret: whsec_ + base64 of ``size`` bytes."""
    return "whsec_" + base64.b64encode(bytes([seed]) * size).decode()


# Signature header per preset: where the signature (or credential) travels.
SIGNATURE_HEADER: dict[str, str] = {
    "stripe": "stripe-signature",
    "standard-webhooks": "webhook-signature",
    "svix": "svix-signature",
    "clerk": "svix-signature",
    "resend": "svix-signature",
    "zendesk": "x-zendesk-webhook-signature",
    "intercom": "x-hub-signature",
    "hubspot": "x-hubspot-signature-v3",
    "hubspot-v2": "x-hubspot-signature",
    "hubspot-v1": "x-hubspot-signature",
    "chargebee": "authorization",
    "freshdesk": "authorization",
    "freshdesk-token": "x-webhook-token",
    "paddle": "paddle-signature",
    "recurly": "recurly-signature",
    "shopify": "x-shopify-hmac-sha256",
    "helpscout": "x-helpscout-signature",
    "front-app": "x-front-signature",
    "front-rule": "x-front-signature",
    "slack": "x-slack-signature",
    "slack-form": "x-slack-signature",
    "slack-interactivity": "x-slack-signature",
    "github": "x-hub-signature-256",
    "github-form": "x-hub-signature-256",
    "twilio": "x-twilio-signature",
    "twilio-json": "x-twilio-signature",
    "square": "x-square-hmacsha256-signature",
    "maxio": "x-chargify-webhook-signature-hmac-sha-256",
    "calendly": "calendly-webhook-signature",
    "typeform": "typeform-signature",
    "lemonsqueezy": "x-signature",
    "hmac": "x-acme-signature",
}
# The generic preset, configured as a sender the catalog does not know (Acme): a prefixed
# hex HMAC of "{timestamp}.{body}" with the timestamp in its own header.
GENERIC_OPTIONS: dict[str, Any] = {
    "header": "X-Acme-Signature",
    "prefix": "sha256=",
    "template": "{timestamp}.{body}",
    "timestamp_header": "x-acme-timestamp",
}
STANDARD_WEBHOOKS = ("standard-webhooks", "svix", "clerk", "resend")
# The value prefix of each signature, where the sender writes one.
PREFIX: dict[str, str] = {
    "stripe": "v1=",
    **dict.fromkeys(STANDARD_WEBHOOKS, "v1,"),
    "intercom": "sha1=",
    "paddle": "h1=",
    **dict.fromkeys(("slack", "slack-form", "slack-interactivity"), "v0="),
    **dict.fromkeys(("github", "github-form"), "sha256="),
    "calendly": "v1=",
    "typeform": "sha256=",
    "hmac": "sha256=",
}
# Presets whose content includes a timestamp, with its unit as sent.
TIMESTAMP_UNIT: dict[str, str] = {
    "stripe": "s",
    **dict.fromkeys(STANDARD_WEBHOOKS, "s"),
    "zendesk": "iso",
    "hubspot": "ms",
    "paddle": "s",
    "recurly": "ms",
    "front-app": "ms",
    **dict.fromkeys(("slack", "slack-form", "slack-interactivity"), "s"),
    "calendly": "s",
    "hmac": "s",
}
# Presets that sign the public URL.
URL_SIGNED = ("hubspot", "hubspot-v2", "twilio", "twilio-json", "square")
# Presets that sign nothing: they check a credential, and the body is not protected.
UNSIGNED = ("chargebee", "freshdesk", "freshdesk-token")
BASIC_AUTH = ("chargebee", "freshdesk")
# Presets whose header may carry several signatures: (separator, leading timestamp items).
MULTI_SIGNATURE: dict[str, tuple[str, int]] = {
    "stripe": (",", 1),
    "calendly": (",", 1),
    "paddle": (";", 1),
    "recurly": (",", 1),
    **dict.fromkeys(STANDARD_WEBHOOKS, (" ", 0)),
}


def _json_body() -> bytes:
    return (
        b'{"id":"evt_1","event_id":"evt_1","type":"invoice.paid",'
        b'"data":{"amount":4900,"note":"caf\\u00e9 \xf0\x9f\x8e\x89"}}'
    )


def body_for(preset: Preset) -> bytes:
    """A realistic body in the preset's format; every one contains the digits 4900."""
    if preset.body_format == "form":
        return b"id=1&trigger_id=t.1&text=paid+4900&amount=4900&blank="
    if preset.body_format == "form-payload":
        payload = '{"type":"block_actions","trigger_id":"t.1","amount":4900}'
        return b"payload=" + quote(payload, safe="").encode()
    if preset.body_format == "form-brackets":
        return (
            b"id=81&event=signup_success&payload[subscription][id]=4900"
            b"&payload[subscription][product][name]=Basic+Plan"
        )
    return _json_body()


@dataclass(frozen=True)
class Case:
    """One preset with a secret, a rotated-out secret, options and a body."""

    name: str
    secret: str
    old_secret: str
    other_secret: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def preset(self) -> Preset:
        return PRESETS[self.name]

    @property
    def body(self) -> bytes:
        return body_for(self.preset)

    @property
    def header(self) -> str:
        return SIGNATURE_HEADER[self.name]

    def sign(
        self, body: bytes | None = None, *, secret: str | None = None, timestamp: int = NOW
    ) -> dict[str, str]:
        """The headers the sender sends; each keyword changes one ingredient."""
        return self.preset.sign(
            self.body if body is None else body,
            self.secret if secret is None else secret,
            timestamp,
            self.options,
        )

    def verifier(self, *secrets: str, now: float = NOW, **options: Any) -> Verifier:
        """A verifier over ``secrets`` (default: the case's secret) at a fixed clock."""
        return self.preset.build(
            secrets or (self.secret,), {**self.options, **options}, clock=lambda: now
        )


def case(name: str) -> Case:
    if name in STANDARD_WEBHOOKS:
        secrets = (whsec(1), whsec(2), whsec(3))
    elif name in BASIC_AUTH:
        secrets = ("hooks:correct-horse", "hooks:battery-staple", "hooks:wrong")
    else:
        secrets = (f"{name}-secret-2026", f"{name}-secret-2025", f"{name}-not-the-secret")
    options = {"url": URL} if name in URL_SIGNED else {}
    if name == "hmac":
        options = GENERIC_OPTIONS
    return Case(name, *secrets, options=options)


def replace_in(headers: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    """``headers`` with ``old`` replaced by ``new`` in header ``name`` (which must contain it)."""
    assert old in headers[name], (name, old, headers[name])
    return {**headers, name: headers[name].replace(old, new)}


def rest_api_event(source: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """An API Gateway REST API (payload 1.0) event: header names keep the sender's case."""
    return {
        "resource": "/webhooks/{source}",
        "path": f"/webhooks/{source}",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "pathParameters": {"source": source},
        "requestContext": {"requestId": "rest-1", "stage": "prod"},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def title_case(name: str) -> str:
    """``x-hub-signature-256`` as a sender may write it: ``X-Hub-Signature-256``."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def json_bytes(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()
