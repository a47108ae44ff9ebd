"""The named presets: each sender's scheme, from the signatures reference, as engine settings.

Header names are lowercase (request.py lowercases them once). Content types and user agents
are what the signing lab puts in sample events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from webhook_to_track.presets.builders import (
    URL_HELP,
    basic_auth_preset,
    hmac_preset,
    shared_token_preset,
    tolerance,
)
from webhook_to_track.presets.options import choice, url
from webhook_to_track.presets.preset import Preset
from webhook_to_track.signatures import (
    STRIPE_SCHEME,
    Clock,
    HmacScheme,
    StripeVerifier,
    TimestampSpec,
    TwilioVerifier,
    Verifier,
    hubspot_uri,
)

FORM: Final = "application/x-www-form-urlencoded"


# --- Stripe: the engine's original scheme, kept as its own verifier class -------------------


def _stripe_verifier(secrets: Sequence[str], opts: Mapping[str, Any], clock: Clock) -> Verifier:
    return StripeVerifier(secrets, tolerance_s=opts["tolerance_s"], clock=clock)


def _stripe_headers(body: bytes, secret: str, ts: int, opts: Mapping[str, Any]) -> dict[str, str]:
    return StripeVerifier.sign(body, secret, ts)


_STRIPE_KEY_HELP: Final = (
    "Dashboard > Developers > Webhooks > endpoint > Signing secret (whsec_..., as-is)"
)
STRIPE: Final = Preset(
    name="stripe",
    summary='Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]; HMAC-SHA256 of "{t}.{body}"',
    secret_help=_STRIPE_KEY_HELP,
    make_verifier=_stripe_verifier,
    make_headers=_stripe_headers,
    options={"tolerance_s": tolerance(STRIPE_SCHEME.tolerance_s)},
    delivery_id={"path": "id"},
    content_type="application/json; charset=utf-8",
    user_agent="Stripe/1.0 (+https://stripe.com/docs/webhooks)",
)


# --- Standard Webhooks and the senders built on it ----------------------------------------------

_SVIX_AGENT: Final = "Svix-Webhooks/1.56.0 (sender-Xr4cW; +https://www.svix.com/http-sender/)"


def _standard_webhooks(name: str, first: str, key_help: str) -> Preset:
    """Standard Webhooks; ``first`` ("webhook" or "svix") is the header family tried first
    and signed with. Both families are accepted: Svix can white-label svix-* to webhook-*."""
    second = "svix" if first == "webhook" else "webhook"
    scheme = HmacScheme(
        signature_headers=(f"{first}-signature", f"{second}-signature"),
        template="{id}.{timestamp}.{body}",
        encoding="base64",
        prefix="v1,",
        layout="list",
        separator=" ",
        timestamp=TimestampSpec(headers=(f"{first}-timestamp", f"{second}-timestamp")),
        id_headers=(f"{first}-id", f"{second}-id"),
        key_encoding="whsec-base64",
        lab_ids=((f"{first}-id", "msg"),),
    )
    return hmac_preset(
        name,
        scheme,
        summary=f"{first}-signature: v1,<b64> [v1,<b64>...]; HMAC-SHA256 of "
        '"{id}.{ts}.{body}", key = base64 after whsec_',
        key_help=key_help,
        user_agent=_SVIX_AGENT,
        delivery_id={"header": (f"{first}-id", f"{second}-id")},
    )


STANDARD_WEBHOOKS: Final = _standard_webhooks(
    "standard-webhooks", "webhook", "the endpoint's signing secret: whsec_ + base64 of 24-64 bytes"
)
SVIX: Final = _standard_webhooks(
    "svix", "svix", "Svix app portal > endpoint > Signing Secret (whsec_...)"
)
CLERK: Final = _standard_webhooks(
    "clerk", "svix", "Clerk Dashboard > Webhooks > endpoint > Signing Secret (whsec_...)"
)
RESEND: Final = _standard_webhooks(
    "resend", "svix", "Resend > Webhooks > webhook > Signing Secret (whsec_...)"
)


# --- HubSpot: v3 HMAC over method + URI + body + ms timestamp; v2/v1 plain SHA-256 -----------

_HUBSPOT_KEY_HELP: Final = "developer account > Apps > your app > Auth > Client secret"
_HUBSPOT_AGENT: Final = "HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon"
# The webhooks API (v3, v1) posts a JSON array of events: dedupe on their eventIds (retries
# change attemptNumber). v2 workflow webhooks post one object without an id: the body hash.
_HUBSPOT_IDS: Final = {"each": "eventId"}

HUBSPOT_V3_SCHEME: Final = HmacScheme(
    signature_headers=("x-hubspot-signature-v3",),
    template="{method}{url}{body}{timestamp}",
    encoding="base64",
    timestamp=TimestampSpec(unit="ms", headers=("x-hubspot-request-timestamp",)),
)
# Legacy v2 and v1 are plain SHA-256 of secret + content, not HMACs, with no timestamp.
HUBSPOT_V2_SCHEME: Final = HmacScheme(
    signature_headers=("x-hubspot-signature",), template="{method}{url}{body}", mac="secret-prefix"
)
HUBSPOT_V1_SCHEME: Final = HmacScheme(
    signature_headers=("x-hubspot-signature",), mac="secret-prefix"
)

HUBSPOT: Final = hmac_preset(
    "hubspot",
    HUBSPOT_V3_SCHEME,
    summary="X-HubSpot-Signature-v3: base64 HMAC-SHA256 of method + URI + body + ms timestamp",
    key_help=_HUBSPOT_KEY_HELP,
    user_agent=_HUBSPOT_AGENT,
    delivery_id=_HUBSPOT_IDS,
    signed_url=hubspot_uri,
)
HUBSPOT_V2: Final = hmac_preset(
    "hubspot-v2",
    HUBSPOT_V2_SCHEME,
    summary="X-HubSpot-Signature (v2): hex SHA-256 of secret + method + URI + body; no HMAC",
    key_help=_HUBSPOT_KEY_HELP,
    user_agent=_HUBSPOT_AGENT,
    extra_headers={"x-hubspot-signature-version": "v2"},
)
HUBSPOT_V1: Final = hmac_preset(
    "hubspot-v1",
    HUBSPOT_V1_SCHEME,
    summary="X-HubSpot-Signature (v1): hex SHA-256 of secret + body; no HMAC, no timestamp",
    key_help=_HUBSPOT_KEY_HELP,
    user_agent=_HUBSPOT_AGENT,
    delivery_id=_HUBSPOT_IDS,
    extra_headers={"x-hubspot-signature-version": "v1"},
)


# --- Twilio: URL + sorted form parameters (or bodySHA256 for JSON) ------------------------------


_TWILIO_KEY_HELP: Final = (
    "Twilio Console > Account > API keys & tokens > Auth Token "
    "(or the SharedKey secret, with hash sha256)"
)


def _twilio(name: str, *, json_body: bool) -> Preset:
    def make_verifier(secrets: Sequence[str], opts: Mapping[str, Any], clock: Clock) -> Verifier:
        return TwilioVerifier(secrets, url=opts["url"], hash=opts["hash"], json_body=json_body)

    def make_headers(body: bytes, secret: str, ts: int, opts: Mapping[str, Any]) -> dict[str, str]:
        return TwilioVerifier.sign(
            body, secret, url=opts["url"], hash=opts["hash"], json_body=json_body
        )

    signed = "URL?bodySHA256=<hex of body>" if json_body else "URL + sorted name+value params"
    return Preset(
        name=name,
        summary=f"X-Twilio-Signature: base64 HMAC-SHA1 of {signed}; URL tried with/without port",
        secret_help=_TWILIO_KEY_HELP,
        make_verifier=make_verifier,
        make_headers=make_headers,
        options={
            "url": url(URL_HELP),
            "hash": choice("sha1", ("sha1", "sha256"), "sha256 for SharedKey-signed webhooks"),
        },
        body_format="json" if json_body else "form",
        content_type="application/json" if json_body else FORM,
        user_agent="TwilioProxy/1.1",
    )


TWILIO: Final = _twilio("twilio", json_body=False)
TWILIO_JSON: Final = _twilio("twilio-json", json_body=True)


# --- Senders that do not sign -------------------------------------------------------------------

CHARGEBEE: Final = replace(
    basic_auth_preset(
        "chargebee",
        summary="no signature: Authorization: Basic base64(user:password)",
        key_help="Settings > Configure Chargebee > Webhooks > webhook > basic authentication; "
        "the secret is user:password",
        user_agent="ChargeBee",
        delivery_id={"path": "id"},
    ),
    accepted_status=200,  # Chargebee's docs count a delivery as delivered on HTTP 200
)
FRESHDESK: Final = basic_auth_preset(
    "freshdesk",
    summary="no signature: Authorization: Basic base64(user:password) from the automation rule",
    key_help="Admin > Automations > rule > Trigger webhook > Requires authentication; "
    "the secret is user:password (an API key is <key>:X)",
    user_agent="Freshdesk",
    delivery_id={},
)
FRESHDESK_TOKEN: Final = shared_token_preset(
    "freshdesk-token",
    default_header="x-webhook-token",
    summary="no signature: a custom header whose value is a shared secret",
    key_help="Admin > Automations > rule > Trigger webhook > custom header <header>: <secret>; "
    "choose a long random secret",
    user_agent="Freshdesk",
)


def _recurly_unit(scheme: HmacScheme, opts: Mapping[str, Any]) -> HmacScheme:
    stamp = scheme.timestamp or TimestampSpec()
    return replace(scheme, timestamp=replace(stamp, unit=opts["timestamp_unit"]))


PADDLE: Final = hmac_preset(
    "paddle",
    HmacScheme(
        signature_headers=("paddle-signature",),
        template="{timestamp}:{body}",
        prefix="h1=",
        layout="list",
        separator=";",
        timestamp=TimestampSpec(item="ts="),
        # Paddle's SDK and docs allow 5 s; raise tolerance_s if the Lambda's clock drifts.
        tolerance_s=5,
    ),
    summary='Paddle-Signature: ts=<unix>;h1=<hex>[;h1=...]; HMAC-SHA256 of "{ts}:{body}"; 5 s',
    key_help="Paddle > Developer tools > Notifications > destination > Secret key (pdl_ntfset_...)",
    user_agent="Paddle",
    delivery_id={"path": "event_id"},
)
RECURLY: Final = hmac_preset(
    "recurly",
    HmacScheme(
        signature_headers=("recurly-signature",),
        template="{timestamp}.{body}",
        layout="timestamp-first",
        timestamp=TimestampSpec(unit="ms"),
    ),
    summary='recurly-signature: <ts>,<hex>[,<hex>]; HMAC-SHA256 of "{ts}.{body}"',
    key_help="Recurly > Integrations > Webhooks > endpoint > secret key",
    user_agent="Recurly Webhooks",
    # The body's id is the notified object's, shared by its created/updated notifications:
    # not an event id, so the body hash is the safer key.
    delivery_id={},
    extra_options={
        # The Ruby SDK reads milliseconds; the docs' own example looks like seconds.
        "timestamp_unit": choice("ms", ("ms", "s"), "unit of the signed timestamp"),
    },
    adapt=_recurly_unit,
)
