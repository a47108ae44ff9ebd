"""Senders that do not sign: HTTP Basic auth (Chargebee, Freshdesk) and a shared-token header.

Both compare SHA-256 digests of the received and configured credentials, so the comparison is
constant-time and does not reveal the credential's length either.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from typing import ClassVar

from webhook_to_track.errors import (
    MalformedSignatureError,
    NoSecretError,
    SignatureMismatchError,
)
from webhook_to_track.signatures.base import first_header, matches, usable_secrets, utf8


def _fingerprint(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


class BasicAuthVerifier:
    """``Authorization: Basic base64(user:password)``; each secret is ``"user:password"``."""

    HEADER: ClassVar[str] = "authorization"

    def __init__(self, secrets: Sequence[str]) -> None:
        credentials = [s for s in secrets if isinstance(s, str) and ":" in s.strip()]
        if not credentials:
            raise NoSecretError("no usable Basic auth secret: expected user:password")
        self._expected = [_fingerprint(k) for k in usable_secrets(credentials)]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raises a SignatureError subclass unless the credentials are configured ones."""
        _, value = first_header(headers, (self.HEADER,))
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "basic" or not token.strip():
            raise MalformedSignatureError("authorization must be Basic credentials")
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise MalformedSignatureError("the Basic credentials are not base64") from None
        if not matches(self._expected, [_fingerprint(given)]):
            raise SignatureMismatchError("the Basic credentials match no configured secret")

    @classmethod
    def sign(cls, secret: str) -> dict[str, str]:
        """The header a sender configured with ``secret`` sends."""
        token = base64.b64encode(secret.encode("utf-8")).decode("ascii")
        return {cls.HEADER: f"Basic {token}"}


class SharedTokenVerifier:
    """A header whose whole value is a shared secret (Freshdesk's custom header)."""

    def __init__(self, secrets: Sequence[str], header: str) -> None:
        self._header = header.lower()
        self._expected = [_fingerprint(k) for k in usable_secrets(secrets)]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raises a SignatureError subclass unless the header carries a configured secret."""
        _, value = first_header(headers, (self._header,))
        given = utf8(value.strip(), f"the {self._header} header")
        if not matches(self._expected, [_fingerprint(given)]):
            raise SignatureMismatchError(f"the {self._header} header matches no configured secret")

    @staticmethod
    def sign(secret: str, header: str) -> dict[str, str]:
        """The header a sender configured with ``secret`` sends."""
        return {header.lower(): secret}
