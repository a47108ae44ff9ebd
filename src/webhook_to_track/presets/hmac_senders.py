"""Presets for senders that sign the raw body (sometimes with a timestamp or the URL) with an
HMAC in one header: one HmacScheme each."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from webhook_to_track.presets.builders import hmac_preset
from webhook_to_track.presets.handshakes import front_challenge, slack_url_verification
from webhook_to_track.presets.preset import Preset
from webhook_to_track.signatures import HmacScheme, TimestampSpec

FORM: Final = "application/x-www-form-urlencoded"

ZENDESK: Final = hmac_preset(
    "zendesk",
    HmacScheme(
        signature_headers=("x-zendesk-webhook-signature",),
        template="{timestamp}{body}",
        encoding="base64",
        timestamp=TimestampSpec(unit="iso", headers=("x-zendesk-webhook-signature-timestamp",)),
        lab_ids=(("x-zendesk-webhook-invocation-id", "digits"),),
    ),
    summary="X-Zendesk-Webhook-Signature: base64 HMAC-SHA256 of ISO timestamp + body",
    key_help="Admin Center > Apps and integrations > Webhooks > webhook > Signing secret",
    user_agent="Zendesk Webhook",
    delivery_id={"header": "x-zendesk-webhook-invocation-id"},
)
INTERCOM: Final = hmac_preset(
    "intercom",
    HmacScheme(signature_headers=("x-hub-signature",), hash="sha1", prefix="sha1="),
    summary="X-Hub-Signature: sha1=<hex HMAC-SHA1 of body>",
    key_help="Developer Hub > your app > Basic information > Client secret",
    user_agent="Intercom-Webhooks/1.0",
    delivery_id={"path": "id"},
)
SHOPIFY: Final = hmac_preset(
    "shopify",
    HmacScheme(
        signature_headers=("x-shopify-hmac-sha256",),
        encoding="base64",
        lab_ids=(("x-shopify-event-id", "uuid"),),
    ),
    summary="X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of body",
    key_help="Dev Dashboard > app > Settings > Client secret (store-admin webhooks: "
    "Settings > Notifications > Webhooks signing key)",
    user_agent="Shopify-Captain-Hook",
    delivery_id={"header": "x-shopify-event-id"},
)
HELPSCOUT: Final = hmac_preset(
    "helpscout",
    HmacScheme(signature_headers=("x-helpscout-signature",), hash="sha1", encoding="base64"),
    summary="X-HelpScout-Signature: base64 HMAC-SHA1 of body",
    key_help="Help Scout > Manage > Apps > Webhooks > Secret Key (you choose it)",
    user_agent="Help Scout Webhooks",
)
FRONT_APP: Final = hmac_preset(
    "front-app",
    HmacScheme(
        signature_headers=("x-front-signature",),
        template="{timestamp}:{body}",
        encoding="base64",
        timestamp=TimestampSpec(unit="ms", headers=("x-front-request-timestamp",)),
    ),
    summary='X-Front-Signature: base64 HMAC-SHA256 of "{ms timestamp}:{body}" (app webhooks)',
    key_help="Front > Settings > Developers > your app > Basic information > App secret",
    user_agent="Front",
)
FRONT_RULE: Final = hmac_preset(
    "front-rule",
    HmacScheme(signature_headers=("x-front-signature",), hash="sha1", encoding="base64"),
    summary="X-Front-Signature: base64 HMAC-SHA1 of body (rule webhooks)",
    key_help="Front > Settings > Developers > API secret",
    user_agent="Front",
)

_SLACK_SCHEME: Final = HmacScheme(
    signature_headers=("x-slack-signature",),
    template="v0:{timestamp}:{body}",
    prefix="v0=",
    timestamp=TimestampSpec(headers=("x-slack-request-timestamp",)),
)
_SLACK_KEY_HELP: Final = "api.slack.com > Your Apps > app > Basic Information > Signing Secret"
_SLACK_SUMMARY: Final = 'X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{ts}:{body}">'
_SLACK_AGENT: Final = "Slackbot 1.0 (+https://api.slack.com/robots)"
SLACK: Final = hmac_preset(
    "slack",
    _SLACK_SCHEME,
    summary=_SLACK_SUMMARY + " (Events API, JSON)",
    key_help=_SLACK_KEY_HELP,
    user_agent=_SLACK_AGENT,
    delivery_id={"path": "event_id"},
)
SLACK_FORM: Final = hmac_preset(
    "slack-form",
    _SLACK_SCHEME,
    summary=_SLACK_SUMMARY + " (slash commands, form)",
    key_help=_SLACK_KEY_HELP,
    user_agent=_SLACK_AGENT,
    delivery_id={"path": "trigger_id"},
    body_format="form",
    content_type=FORM,
)
SLACK_INTERACTIVITY: Final = hmac_preset(
    "slack-interactivity",
    _SLACK_SCHEME,
    summary=_SLACK_SUMMARY + " (interactivity, form payload=<json>)",
    key_help=_SLACK_KEY_HELP,
    user_agent=_SLACK_AGENT,
    delivery_id={"path": "trigger_id"},
    body_format="form-payload",
    content_type=FORM,
)

_GITHUB_SCHEME: Final = HmacScheme(
    signature_headers=("x-hub-signature-256",),
    prefix="sha256=",
    lab_ids=(("x-github-delivery", "uuid"),),
)
_GITHUB_KEY_HELP: Final = "repository or organization > Settings > Webhooks > webhook > Secret"
GITHUB: Final = hmac_preset(
    "github",
    _GITHUB_SCHEME,
    summary="X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of body> (content type JSON)",
    key_help=_GITHUB_KEY_HELP,
    user_agent="GitHub-Hookshot/7c4f3a1",
    delivery_id={"header": "x-github-delivery"},
)
GITHUB_FORM: Final = hmac_preset(
    "github-form",
    _GITHUB_SCHEME,
    summary="X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of body> (form, payload=<json>)",
    key_help=_GITHUB_KEY_HELP,
    user_agent="GitHub-Hookshot/7c4f3a1",
    delivery_id={"header": "x-github-delivery"},
    body_format="form-payload",
    content_type=FORM,
)

SQUARE: Final = hmac_preset(
    "square",
    HmacScheme(
        signature_headers=("x-square-hmacsha256-signature",),
        template="{url}{body}",
        encoding="base64",
    ),
    summary="x-square-hmacsha256-signature: base64 HMAC-SHA256 of notification URL + body",
    key_help="Developer Console > app > Webhooks > Subscriptions > subscription > Signature key",
    user_agent="Square Connect v2",
    delivery_id={"path": "event_id"},
)
MAXIO: Final = hmac_preset(
    "maxio",
    HmacScheme(signature_headers=("x-chargify-webhook-signature-hmac-sha-256",)),
    summary="X-Chargify-Webhook-Signature-Hmac-Sha-256: hex HMAC-SHA256 of the form body",
    key_help="Maxio > Config > Settings > Site Shared Key",
    user_agent="Chargify Webhooks",
    delivery_id={"path": "id"},
    body_format="form-brackets",
    content_type=FORM,
)
CALENDLY: Final = hmac_preset(
    "calendly",
    HmacScheme(
        signature_headers=("calendly-webhook-signature",),
        template="{timestamp}.{body}",
        prefix="v1=",
        layout="list",
        timestamp=TimestampSpec(item="t="),
    ),
    summary='Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">',
    key_help="the signing_key given when creating the webhook subscription (API); "
    "Calendly generates it for OAuth apps",
    user_agent="Calendly",
)
TYPEFORM: Final = hmac_preset(
    "typeform",
    HmacScheme(signature_headers=("typeform-signature",), encoding="base64", prefix="sha256="),
    summary="Typeform-Signature: sha256=<base64 HMAC-SHA256 of body>",
    key_help="form > Connect > Webhooks > webhook > Edit > Secret (you choose it)",
    user_agent="Typeform Webhooks",
    delivery_id={"path": "event_id"},
)
LEMONSQUEEZY: Final = hmac_preset(
    "lemonsqueezy",
    HmacScheme(signature_headers=("x-signature",)),
    summary="X-Signature: hex HMAC-SHA256 of body",
    key_help="Settings > Webhooks > webhook > Signing secret (6-40 characters, you choose it)",
    user_agent="LemonSqueezy-Hookshot",
)

SENDERS: Final[tuple[Preset, ...]] = (
    ZENDESK, INTERCOM, SHOPIFY, HELPSCOUT,
    replace(FRONT_APP, handshake=front_challenge),
    FRONT_RULE,
    replace(SLACK, handshake=slack_url_verification),
    SLACK_FORM,
    SLACK_INTERACTIVITY, GITHUB, GITHUB_FORM, SQUARE,
    replace(MAXIO, accepted_status=200),
    CALENDLY, TYPEFORM,
    replace(LEMONSQUEEZY, accepted_status=200),
)  # fmt: skip
