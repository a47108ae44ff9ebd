"""Signature verification: pure, stdlib-only, constant-time, over the raw body bytes.

One declarative HMAC engine (``HmacScheme`` + ``HmacVerifier``) covers most senders; Twilio,
HTTP Basic auth and shared tokens have small verifiers of their own. Every verifier takes
several secrets (rotation), and turns every parse failure into a SignatureError subclass.
"""

from __future__ import annotations

from webhook_to_track.signatures.base import (
    Clock,
    Encoding,
    KeyEncoding,
    Verifier,
    check_timestamp,
    usable_secrets,
)
from webhook_to_track.signatures.hmac_scheme import (
    HashName,
    HmacScheme,
    HmacVerifier,
    TimestampSpec,
)
from webhook_to_track.signatures.hubspot import hubspot_uri
from webhook_to_track.signatures.stripe import STRIPE_SCHEME, StripeVerifier
from webhook_to_track.signatures.timestamps import TimestampUnit
from webhook_to_track.signatures.tokens import BasicAuthVerifier, SharedTokenVerifier
from webhook_to_track.signatures.twilio import TwilioVerifier

__all__ = [
    "STRIPE_SCHEME",
    "BasicAuthVerifier",
    "Clock",
    "Encoding",
    "HashName",
    "HmacScheme",
    "HmacVerifier",
    "KeyEncoding",
    "SharedTokenVerifier",
    "StripeVerifier",
    "TimestampSpec",
    "TimestampUnit",
    "TwilioVerifier",
    "Verifier",
    "check_timestamp",
    "hubspot_uri",
    "usable_secrets",
]
