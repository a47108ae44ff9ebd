"""Signature verifiers: pure, stdlib-only, constant-time, over the raw body bytes.

Every verifier takes several secrets (rotation), a tolerance and an injectable clock, and turns
every parse failure into a SignatureError subclass: a malformed header never crashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar, Final, Protocol

from webhook_to_track.errors import (
    MalformedSignatureError,
    MissingSignatureError,
    NoSecretError,
    SignatureMismatchError,
    TimestampOutOfToleranceError,
)

Clock = Callable[[], float]
_HEX64: Final = re.compile(r"[0-9a-fA-F]{64}")
_DIGITS: Final = re.compile(r"[0-9]{1,15}")


class Verifier(Protocol):
    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Return when the delivery is authentic; raise a SignatureError subclass otherwise."""


def usable_secrets(secrets: Sequence[str]) -> tuple[bytes, ...]:
    """Secrets as HMAC keys; raises NoSecretError when none is usable (fail closed)."""
    keys = tuple(s.encode("utf-8") for s in secrets if s and s.strip())
    if not keys:
        raise NoSecretError("no signing secret is configured for this source")
    return keys


def check_timestamp(timestamp: float, now: float, tolerance_s: int) -> None:
    """Reject timestamps too old *or* too far in the future (replayed or forged)."""
    if timestamp < now - tolerance_s:
        raise TimestampOutOfToleranceError(
            f"timestamp is older than the {tolerance_s} s tolerance", direction="past"
        )
    if timestamp > now + tolerance_s:
        raise TimestampOutOfToleranceError(
            f"timestamp is more than {tolerance_s} s in the future", direction="future"
        )


class StripeVerifier:
    """``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]``: HMAC-SHA256 of ``"{t}.{body}"``.

    Only ``v1`` counts (Stripe adds a fake ``v0`` to test events; accepting it would allow a
    downgrade). During secret rotation Stripe sends one ``v1`` per active secret, and we keep
    several secrets: any pair matching is enough. The ``whsec_`` secret is the key as-is, not
    base64-decoded. Unlike Stripe's SDK, timestamps too far in the future are refused too.
    """

    HEADER: ClassVar[str] = "stripe-signature"
    SCHEME: ClassVar[str] = "v1"
    DEFAULT_TOLERANCE: ClassVar[int] = 300

    def __init__(
        self,
        secrets: Sequence[str],
        tolerance_s: int = DEFAULT_TOLERANCE,
        clock: Clock = time.time,
    ) -> None:
        self._keys = usable_secrets(secrets)
        self._tolerance_s = tolerance_s
        self._clock = clock

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        header = headers.get(self.HEADER)
        if not header:
            raise MissingSignatureError(f"the {self.HEADER} header is missing")
        timestamp, signatures = self._parse(header)
        signed = timestamp.encode("ascii") + b"." + body
        if not any(
            hmac.compare_digest(self._digest(key, signed), candidate)
            for key in self._keys
            for candidate in signatures
        ):
            raise SignatureMismatchError("no v1 signature matches a configured secret")
        check_timestamp(int(timestamp), self._clock(), self._tolerance_s)

    @classmethod
    def _parse(cls, header: str) -> tuple[str, list[bytes]]:
        timestamps: list[str] = []
        signatures: list[bytes] = []
        for item in header.split(","):
            key, sep, value = item.strip().partition("=")
            if not sep:
                raise MalformedSignatureError(f"{cls.HEADER} items must look like key=value")
            if key == "t":
                timestamps.append(value.strip())
            elif key == cls.SCHEME and _HEX64.fullmatch(value.strip()):
                signatures.append(value.strip().lower().encode("ascii"))
        if len(timestamps) != 1 or not _DIGITS.fullmatch(timestamps[0]):
            raise MalformedSignatureError(f"{cls.HEADER} needs exactly one numeric t=")
        if not signatures:
            raise MalformedSignatureError(f"{cls.HEADER} carries no {cls.SCHEME} signature")
        return timestamps[0], signatures

    @staticmethod
    def _digest(key: bytes, signed: bytes) -> bytes:
        return hmac.new(key, signed, hashlib.sha256).hexdigest().encode("ascii")

    @classmethod
    def sign(cls, body: bytes, secret: str, timestamp: int) -> dict[str, str]:
        """The headers Stripe would send for ``body`` (for tests and the signing lab)."""
        signed = str(timestamp).encode("ascii") + b"." + body
        signature = cls._digest(secret.encode("utf-8"), signed).decode("ascii")
        return {cls.HEADER: f"t={timestamp},{cls.SCHEME}={signature}"}
