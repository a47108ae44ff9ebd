"""Stripe's scheme as an HmacScheme, and StripeVerifier: the engine fixed to it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar, Final

from webhook_to_track.signatures.base import Clock
from webhook_to_track.signatures.hmac_scheme import HmacScheme, HmacVerifier, TimestampSpec

# Only v1 counts: Stripe adds a fake v0 to test events, and accepting it would allow a
# downgrade. The whsec_ secret is the key as-is (UTF-8), not base64-decoded.
STRIPE_SCHEME: Final = HmacScheme(
    signature_headers=("stripe-signature",),
    template="{timestamp}.{body}",
    prefix="v1=",
    layout="list",
    separator=",",
    timestamp=TimestampSpec(unit="s", item="t="),
)


class StripeVerifier(HmacVerifier):
    """``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]``: HMAC-SHA256 of ``"{t}.{body}"``.

    During secret rotation Stripe sends one ``v1`` per active secret, and we keep several
    secrets: any pair matching is enough. Unlike Stripe's SDK, timestamps too far in the future
    are refused too.
    """

    HEADER: ClassVar[str] = "stripe-signature"
    SCHEME: ClassVar[str] = "v1"
    DEFAULT_TOLERANCE: ClassVar[int] = STRIPE_SCHEME.tolerance_s

    def __init__(
        self,
        secrets: Sequence[str],
        tolerance_s: int = DEFAULT_TOLERANCE,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(STRIPE_SCHEME, secrets, tolerance_s=tolerance_s, clock=clock)

    @classmethod
    def sign(cls, body: bytes, secret: str, timestamp: int) -> dict[str, str]:
        """The headers Stripe would send for ``body`` (for tests and the signing lab)."""
        return STRIPE_SCHEME.sign(body, secret, timestamp)
