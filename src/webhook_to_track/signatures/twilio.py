"""Twilio: base64 HMAC of the public URL plus the sorted form parameters (or, for JSON bodies,
the URL with ``bodySHA256=<hex>`` appended), tried with and without the default port as
Twilio's own SDK does."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from webhook_to_track.errors import MalformedSignatureError, SignatureMismatchError
from webhook_to_track.signatures.base import (
    decode_digest,
    encode_digest,
    first_header,
    lab_key,
    matches,
    usable_secrets,
)
from webhook_to_track.signatures.hmac_scheme import DIGEST_SIZES, HashName


def url_variants(url: str) -> tuple[str, ...]:
    """The URL without and with its default port: Twilio signs either ("sig generation on back
    end is inconsistent", twilio-python)."""
    parts = urlsplit(url)
    if parts.port:
        bare = parts._replace(netloc=parts.netloc.rsplit(":", 1)[0])
        return urlunsplit(bare), url
    port = 443 if parts.scheme == "https" else 80
    return url, urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of a form body, exactly as sent.

    Raises:
        MalformedSignatureError: not UTF-8, or not name=value pairs.
    """
    try:
        return parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise MalformedSignatureError(
            "the form body cannot be read to check its signature"
        ) from None


def _signed_params(pairs: Sequence[tuple[str, str]]) -> str:
    # As twilio-python: names sorted, and each name's distinct values sorted.
    values: dict[str, set[str]] = {}
    for name, value in pairs:
        values.setdefault(name, set()).add(value)
    return "".join(name + value for name in sorted(values) for value in sorted(values[name]))


class TwilioVerifier:
    """``X-Twilio-Signature``: HMAC-SHA1 (SHA-256 with a SharedKey) of the URL + parameters."""

    HEADER: ClassVar[str] = "x-twilio-signature"

    def __init__(
        self, secrets: Sequence[str], *, url: str, hash: HashName = "sha1", json_body: bool = False
    ) -> None:
        self._keys = usable_secrets(secrets)
        self._urls = url_variants(url)
        self._hash = hash
        self._json_body = json_body

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raises a SignatureError subclass unless Twilio signed this body for the URL."""
        _, value = first_header(headers, (self.HEADER,))
        received = decode_digest(value, "base64", DIGEST_SIZES[self._hash])
        if received is None:
            raise MalformedSignatureError(f"{self.HEADER} is not a base64 {self._hash} HMAC")
        contents = [signed_content(url, body, json_body=self._json_body) for url in self._urls]
        expected = [hmac.new(k, c, self._hash).digest() for k in self._keys for c in contents]
        if not matches(expected, [received]):
            raise SignatureMismatchError(f"{self.HEADER} matches no configured secret for the URL")

    @classmethod
    def sign(
        cls, body: bytes, secret: str, *, url: str, hash: HashName = "sha1", json_body: bool = False
    ) -> dict[str, str]:
        """The header Twilio would send for ``body`` posted to ``url``."""
        content = signed_content(url, body, json_body=json_body)
        digest = hmac.new(lab_key(secret, "utf-8"), content, hash).digest()
        return {cls.HEADER: encode_digest(digest, "base64")}


def signed_content(url: str, body: bytes, *, json_body: bool) -> bytes:
    """What Twilio signs. For a JSON body Twilio appends ``bodySHA256=<hex>`` to the URL; we
    rebuild that URL from the body itself, so the one HMAC check also covers the body hash."""
    if json_body:
        joiner = "&" if urlsplit(url).query else "?"
        return f"{url}{joiner}bodySHA256={hashlib.sha256(body).hexdigest()}".encode()
    return (url + _signed_params(form_pairs(body))).encode("utf-8")
