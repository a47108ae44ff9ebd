"""The one declarative HMAC engine: an HmacScheme says how a sender signs, HmacVerifier checks it.

A scheme names the signature header(s), the hash and encoding, the value prefix, how the header
is laid out, the signed content as a template over ``{body}``, ``{timestamp}``, ``{id}``,
``{method}`` and ``{url}``, where the timestamp comes from and in which unit, and how the secret
becomes a key. Eighteen of the twenty senders in the reference are one HmacScheme each.
"""

from __future__ import annotations

import hashlib
import hmac
import string
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from webhook_to_track.errors import (
    ConfigurationError,
    MalformedSignatureError,
    SignatureMismatchError,
)
from webhook_to_track.signatures.base import (
    Clock,
    Encoding,
    KeyEncoding,
    check_timestamp,
    decode_digest,
    encode_digest,
    first_header,
    lab_key,
    matches,
    usable_secrets,
    utf8,
)
from webhook_to_track.signatures.timestamps import (
    TimestampUnit,
    format_timestamp,
    parse_timestamp,
)

HashName = Literal["sha1", "sha256", "sha512"]
# "secret-prefix" is HubSpot v1/v2: a plain hash of secret + content, not an HMAC.
Mac = Literal["hmac", "secret-prefix"]
# plain: the whole value is one signature; list: items split on ``separator``;
# timestamp-first: Recurly's "<ts>,<sig>[,<sig>]".
Layout = Literal["plain", "list", "timestamp-first"]
IdStyle = Literal["uuid", "msg", "digits"]

DIGEST_SIZES: Final[Mapping[str, int]] = {"sha1": 20, "sha256": 32, "sha512": 64}
TEMPLATE_FIELDS: Final = frozenset({"body", "timestamp", "id", "method", "url"})
DEFAULT_TOLERANCE: Final = 300


@dataclass(frozen=True, slots=True)
class TimestampSpec:
    """Where a signed timestamp is read: a header of its own, or an item of the signature
    header (``item="t="``). With the timestamp-first layout it is the header's first item."""

    unit: TimestampUnit = "s"
    headers: tuple[str, ...] = ()
    item: str = ""


@dataclass(frozen=True, slots=True)
class HmacScheme:
    """How one sender signs its deliveries. Header names are lowercase."""

    signature_headers: tuple[str, ...]
    template: str = "{body}"
    hash: HashName = "sha256"
    encoding: Encoding = "hex"
    prefix: str = ""
    layout: Layout = "plain"
    separator: str = ","  # " " means any run of whitespace
    timestamp: TimestampSpec | None = None
    id_headers: tuple[str, ...] = ()  # where ``{id}`` is read, first present wins
    key_encoding: KeyEncoding = "utf-8"
    mac: Mac = "hmac"
    tolerance_s: int = DEFAULT_TOLERANCE
    lab_ids: tuple[tuple[str, IdStyle], ...] = ()  # delivery-id headers sign() adds

    def __post_init__(self) -> None:
        fields = template_fields(self.template)
        if "timestamp" in fields and self.timestamp is None:
            raise ValueError("a template with {timestamp} needs a TimestampSpec")
        if "id" in fields and not {h for h, _ in self.lab_ids} & set(self.id_headers):
            raise ValueError("a template with {id} needs id_headers, one of them in lab_ids")
        ts = self.timestamp
        if ts and (self.layout == "timestamp-first") == bool(ts.headers or ts.item):
            raise ValueError("the timestamp is either the first item, a header, or an item")

    @property
    def label(self) -> str:
        """The scheme's name in messages: "v1" for ``v1=``, "sha256" for ``sha256=``."""
        return self.prefix.rstrip("=,")

    def digest(self, key: bytes, content: bytes) -> bytes:
        """The raw digest of ``content`` under ``key``, before encoding."""
        if self.mac == "secret-prefix":
            return hashlib.new(self.hash, key + content).digest()
        return hmac.new(key, content, self.hash).digest()

    def sign(
        self, body: bytes, secret: str, timestamp: int, *, url: str = "", method: str = "POST"
    ) -> dict[str, str]:
        """The headers the sender would send with ``body`` (for the signing lab and tests).

        Delivery ids are derived from the body, so signing twice gives the same headers.
        """
        headers = {name: lab_delivery_id(style, body) for name, style in self.lab_ids}
        stamp = format_timestamp(timestamp, self.timestamp.unit) if self.timestamp else ""
        delivery = next((headers[h] for h in self.id_headers if h in headers), "")
        content = render(
            self.template,
            body=body,
            timestamp=stamp.encode(),
            id=delivery.encode(),
            method=method.encode(),
            url=url.encode(),
        )
        key = lab_key(secret, self.key_encoding)
        signature = self.prefix + encode_digest(self.digest(key, content), self.encoding)
        joiner = self.separator
        if self.layout == "timestamp-first":
            signature = f"{stamp}{joiner}{signature}"
        elif self.timestamp and self.timestamp.item:
            signature = f"{self.timestamp.item}{stamp}{joiner}{signature}"
        elif self.timestamp:
            headers[self.timestamp.headers[0]] = stamp
        headers[self.signature_headers[0]] = signature
        return headers


class HmacVerifier:
    """Verifies deliveries signed per an HmacScheme, over the raw body bytes.

    Any of several secrets (rotation) may match any of several signatures in the header.
    Timestamps are checked in both directions, after the signature, so a forged request is a
    mismatch and only a genuine stale one is "out of tolerance".
    """

    def __init__(
        self,
        scheme: HmacScheme,
        secrets: Sequence[str],
        *,
        tolerance_s: int | None = None,
        url: str = "",
        method: str = "POST",
        clock: Clock = time.time,
    ) -> None:
        if "url" in template_fields(scheme.template) and not url:
            raise ConfigurationError("this signature scheme signs the URL: set its url option")
        self._scheme = scheme
        self._keys = usable_secrets(secrets, scheme.key_encoding)
        self._tolerance_s = scheme.tolerance_s if tolerance_s is None else tolerance_s
        self._url = url.encode("utf-8")
        self._method = method.encode("ascii")
        self._clock = clock

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raises a SignatureError subclass unless ``body`` is signed with a configured secret."""
        scheme = self._scheme
        name, value = first_header(headers, scheme.signature_headers)
        received, stamp = parse_signature_header(scheme, name, value)
        ts = scheme.timestamp
        if ts is not None and ts.headers:
            stamp = first_header(headers, ts.headers)[1].strip()
        moment = parse_timestamp(stamp, ts.unit) if ts is not None else None
        delivery = ""
        if scheme.id_headers:
            delivery = first_header(headers, scheme.id_headers)[1].strip()
        content = render(
            scheme.template,
            body=body,
            timestamp=utf8(stamp, "the timestamp"),
            id=utf8(delivery, "the delivery id"),
            method=self._method,
            url=self._url,
        )
        expected = [scheme.digest(key, content) for key in self._keys]
        if not matches(expected, received):
            raise SignatureMismatchError(
                f"no {scheme.label or 'signature'} in {name} matches a configured secret"
            )
        if moment is not None:
            check_timestamp(moment, self._clock(), self._tolerance_s)


def parse_signature_header(scheme: HmacScheme, name: str, value: str) -> tuple[list[bytes], str]:
    """(received digests, timestamp text or "") from a signature header.

    Raises:
        MalformedSignatureError: wrong prefix, no (well-formed) signature, or a bad layout.
    """
    stamp = ""
    if scheme.layout == "plain":
        text = value.strip()
        if not text.startswith(scheme.prefix):
            raise MalformedSignatureError(f"{name} must start with {scheme.prefix!r}")
        signatures = [text[len(scheme.prefix) :]]
    else:
        split = value.split() if scheme.separator == " " else value.split(scheme.separator)
        items = [item.strip() for item in split if item.strip()]
        if scheme.layout == "timestamp-first":
            if len(items) < 2:
                raise MalformedSignatureError(f"{name} must be <timestamp>,<signature>[,...]")
            stamp, items = items[0], items[1:]
        elif scheme.timestamp and scheme.timestamp.item:
            stamp = _one_timestamp_item(items, scheme.timestamp.item, name)
        signatures = [i[len(scheme.prefix) :] for i in items if i.startswith(scheme.prefix)]
        if not signatures:
            raise MalformedSignatureError(f"{name} carries no {scheme.label} signature")
    size = DIGEST_SIZES[scheme.hash]
    digests = [d for d in (decode_digest(s, scheme.encoding, size) for s in signatures) if d]
    if not digests:
        raise MalformedSignatureError(
            f"{name} carries no well-formed {scheme.encoding} {scheme.hash} signature"
        )
    return digests, stamp


def _one_timestamp_item(items: Sequence[str], item: str, name: str) -> str:
    stamps = [i[len(item) :] for i in items if i.startswith(item)]
    if len(stamps) != 1:
        raise MalformedSignatureError(f"{name} needs exactly one {item}")
    return stamps[0]


@lru_cache(maxsize=64)
def _compiled(template: str) -> tuple[tuple[str, str], ...]:
    """(literal, field) pairs of a template; the field is "" after the last literal."""
    try:
        parts = tuple((lit, field or "") for lit, field, _, _ in string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad signed-content template {template!r}: {exc}") from None
    unknown = {field for _, field in parts if field} - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(f"unknown template fields {sorted(unknown)} in {template!r}")
    return parts


def template_fields(template: str) -> frozenset[str]:
    """The fields a signed-content template uses."""
    return frozenset(field for _, field in _compiled(template) if field)


def render(template: str, **values: bytes) -> bytes:
    """The signed content: the template's literals (UTF-8) with the fields' bytes in place."""
    return b"".join(lit.encode("utf-8") + values.get(f, b"") for lit, f in _compiled(template))


def lab_delivery_id(style: IdStyle, body: bytes) -> str:
    """A realistic delivery id derived from the body, so signing is deterministic."""
    digest = hashlib.sha256(body).digest()
    if style == "uuid":
        return str(uuid.UUID(bytes=digest[:16], version=4))
    if style == "msg":
        return "msg_" + digest.hex()[:27]
    return str(int.from_bytes(digest[:6], "big"))
