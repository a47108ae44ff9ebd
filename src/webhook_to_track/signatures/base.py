"""What every verifier shares: the Verifier Protocol, secrets as keys, headers, time and digests.

Every helper here fails with a SignatureError subclass, never with a bare ValueError, so a
verifier built from them cannot crash on hostile input.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Literal, Protocol

from webhook_to_track.errors import (
    MalformedSignatureError,
    MissingSignatureError,
    NoSecretError,
    TimestampOutOfToleranceError,
)

Clock = Callable[[], float]
Encoding = Literal["hex", "base64"]
KeyEncoding = Literal["utf-8", "whsec-base64"]

WHSEC_PREFIX: Final = "whsec_"
# Standard Webhooks: "at least 24 bytes (192 bits, 512 max)"; a shorter key means a typo.
MIN_WHSEC_KEY_BYTES: Final = 24
_HEX: Final = re.compile(r"[0-9a-fA-F]+")


class Verifier(Protocol):
    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Return when the delivery is authentic; raise a SignatureError subclass otherwise."""


def utf8(text: str, what: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (possible in a JSON-escaped header) is malformed."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedSignatureError(f"{what} is not valid text") from None


def _key(secret: str, encoding: KeyEncoding) -> bytes | None:
    """One secret as an HMAC key, or None when it cannot be one."""
    text = secret.strip()
    if not text:
        return None
    if encoding == "utf-8":
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return None
    # Standard Webhooks: whsec_ + base64 of the key; the prefix is optional, padding too.
    raw = text.removeprefix(WHSEC_PREFIX)
    try:
        key = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) >= MIN_WHSEC_KEY_BYTES else None


def usable_secrets(secrets: Sequence[str], encoding: KeyEncoding = "utf-8") -> tuple[bytes, ...]:
    """Secrets as HMAC keys, skipping blank or undecodable ones.

    Raises:
        NoSecretError: no secret is usable (fail closed: never accept unsigned requests).
    """
    keys = tuple(k for k in (_key(s, encoding) for s in secrets if isinstance(s, str)) if k)
    if not keys:
        if encoding == "whsec-base64":
            raise NoSecretError(
                "no usable signing secret: expected whsec_ followed by base64 of at least "
                f"{MIN_WHSEC_KEY_BYTES} bytes"
            )
        raise NoSecretError("no signing secret is configured for this source")
    return keys


def lab_key(secret: str, encoding: KeyEncoding) -> bytes:
    """The key the signing lab signs with. Unlike usable_secrets it never refuses: the lab also
    signs "bad signature" samples with a key no sender would issue."""
    return _key(secret, encoding) or secret.encode("utf-8", "surrogatepass")


def first_header(headers: Mapping[str, str], names: Sequence[str]) -> tuple[str, str]:
    """(name, value) of the first of ``names`` present and non-blank.

    Raises:
        MissingSignatureError: none of them is present.
    """
    for name in names:
        value = headers.get(name)
        if value is not None and value.strip():
            return name, value
    raise MissingSignatureError(f"the {' or '.join(names)} header is missing")


def check_timestamp(timestamp: float, now: float, tolerance_s: int) -> None:
    """Reject timestamps too old *or* too far in the future (replayed or forged). The error
    carries ``age_s`` (negative: in the future), for local hints; it is never in a response."""
    if timestamp < now - tolerance_s:
        raise TimestampOutOfToleranceError(
            f"timestamp is older than the {tolerance_s} s tolerance",
            direction="past",
            age_s=now - timestamp,
        )
    if timestamp > now + tolerance_s:
        raise TimestampOutOfToleranceError(
            f"timestamp is more than {tolerance_s} s in the future",
            direction="future",
            age_s=now - timestamp,
        )


def decode_digest(text: str, encoding: Encoding, size: int) -> bytes | None:
    """A received signature as digest bytes, or None when it is not one of ``size`` bytes."""
    value = text.strip()
    if encoding == "hex":
        if len(value) != 2 * size or not _HEX.fullmatch(value):
            return None
        return bytes.fromhex(value)
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest if len(digest) == size else None


def encode_digest(digest: bytes, encoding: Encoding) -> str:
    """A digest as a sender writes it: lowercase hex or standard base64."""
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode("ascii")


def matches(expected: Sequence[bytes], received: Sequence[bytes]) -> bool:
    """Whether any expected digest equals any received one, in constant time per pair."""
    # No short-circuit: every pair is compared, so timing does not reveal which key matched.
    found = False
    for ours in expected:
        for theirs in received:
            found |= hmac.compare_digest(ours, theirs)
    return found
