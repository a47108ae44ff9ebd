"""The HMAC engine and its parts: schemes, header layouts, timestamps, keys and digests."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from tests.unit.signatures.factory import NOW, whsec
from webhook_to_track.errors import (
    ConfigurationError,
    MalformedSignatureError,
    MissingSignatureError,
    NoSecretError,
    SignatureMismatchError,
    TimestampOutOfToleranceError,
)
from webhook_to_track.signatures import (
    HmacScheme,
    HmacVerifier,
    TimestampSpec,
    check_timestamp,
    usable_secrets,
)
from webhook_to_track.signatures.base import decode_digest, matches
from webhook_to_track.signatures.hmac_scheme import lab_delivery_id, render, template_fields
from webhook_to_track.signatures.timestamps import format_timestamp, parse_timestamp

BODY = b'{"id": 1}'


def verifier(scheme: HmacScheme, *secrets: str, now: float = NOW, **kwargs) -> HmacVerifier:
    return HmacVerifier(scheme, secrets or ("k",), clock=lambda: now, **kwargs)


# --- schemes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template": "{timestamp}.{body}"}, "needs a TimestampSpec"),
        ({"template": "{id}.{body}", "id_headers": ("x-id",)}, "one of them in lab_ids"),
        ({"template": "{nonce}{body}"}, "unknown template fields"),
        ({"template": "{body"}, "bad signed-content template"),
        (
            {"layout": "timestamp-first", "timestamp": TimestampSpec(headers=("x-ts",))},
            "either the first item",
        ),
        ({"layout": "list", "timestamp": TimestampSpec()}, "either the first item"),
    ],
)
def test_inconsistent_schemes_are_refused_when_defined(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HmacScheme(signature_headers=("x-sig",), **kwargs)


def test_a_scheme_that_signs_the_url_needs_one():
    scheme = HmacScheme(signature_headers=("x-sig",), template="{url}{body}")

    with pytest.raises(ConfigurationError, match="url option"):
        HmacVerifier(scheme, ["k"])


def test_templates_render_literals_and_field_bytes():
    assert template_fields("v0:{timestamp}:{body}") == {"timestamp", "body"}
    assert render("v0:{timestamp}:{body}", timestamp=b"1", body=b"\xff") == b"v0:1:\xff"
    assert render("{method}{url}{body}{timestamp}", method=b"POST", url=b"u", body=b"b") == (
        b"POSTub"
    )


@pytest.mark.parametrize(("hash_name", "encoding"), [("sha512", "hex"), ("sha1", "base64")])
def test_any_hash_and_encoding_signs_and_verifies(hash_name, encoding):
    scheme = HmacScheme(signature_headers=("x-sig",), hash=hash_name, encoding=encoding)
    headers = scheme.sign(BODY, "k", NOW)
    digest = hmac.new(b"k", BODY, hash_name).digest()

    expected = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    assert headers == {"x-sig": expected}
    verifier(scheme).verify(BODY, headers)


def test_uppercase_hex_is_read():
    scheme = HmacScheme(signature_headers=("x-sig",))

    verifier(scheme).verify(BODY, {"x-sig": scheme.sign(BODY, "k", NOW)["x-sig"].upper()})


@pytest.mark.parametrize(
    "value",
    [
        "ab" * 31,  # too short
        "ab" * 33,  # too long
        "zz" * 32,
        "\u00e9" * 64,
    ],
)
def test_a_plain_value_that_is_not_a_digest_is_malformed(value):
    with pytest.raises(MalformedSignatureError, match="well-formed hex sha256"):
        verifier(HmacScheme(signature_headers=("x-sig",))).verify(BODY, {"x-sig": value})


def test_the_first_of_alternative_signature_headers_is_read():
    scheme = HmacScheme(signature_headers=("x-new", "x-old"))
    signature = scheme.sign(BODY, "k", NOW)["x-new"]

    verifier(scheme).verify(BODY, {"x-old": signature})
    with pytest.raises(SignatureMismatchError):
        verifier(scheme).verify(BODY, {"x-new": "00" * 32, "x-old": signature})
    with pytest.raises(MissingSignatureError, match="x-new or x-old"):
        verifier(scheme).verify(BODY, {})


def test_a_timestamp_sent_in_the_signature_header_must_appear_once():
    scheme = HmacScheme(
        signature_headers=("x-sig",),
        template="{timestamp}.{body}",
        prefix="v1=",
        layout="list",
        timestamp=TimestampSpec(item="t="),
    )
    value = scheme.sign(BODY, "k", NOW)["x-sig"]

    with pytest.raises(MalformedSignatureError, match="exactly one t="):
        verifier(scheme).verify(BODY, {"x-sig": f"t={NOW}," + value})


@pytest.mark.parametrize("value", ["1790000000", "1790000000,", ", ,"])
def test_recurly_layout_needs_a_timestamp_and_a_signature(value):
    scheme = HmacScheme(
        signature_headers=("x-sig",),
        template="{timestamp}.{body}",
        layout="timestamp-first",
        timestamp=TimestampSpec(unit="ms"),
    )

    with pytest.raises(MalformedSignatureError, match="<timestamp>,<signature>"):
        verifier(scheme).verify(BODY, {"x-sig": value})


def test_the_timestamp_is_signed_exactly_as_sent():
    # Zendesk signs its ISO timestamp text; "+00:00" and "Z" are the same time, not the same text
    scheme = HmacScheme(
        signature_headers=("x-sig",),
        template="{timestamp}{body}",
        encoding="base64",
        timestamp=TimestampSpec(unit="iso", headers=("x-ts",)),
    )
    sent = "2026-09-21T14:13:20+00:00"
    digest = hmac.new(b"k", sent.encode() + BODY, hashlib.sha256).digest()
    headers = {"x-sig": base64.b64encode(digest).decode(), "x-ts": sent}

    verifier(scheme, now=1_790_000_000).verify(BODY, headers)
    with pytest.raises(SignatureMismatchError):
        verifier(scheme).verify(BODY, {**headers, "x-ts": "2026-09-21T14:13:20Z"})


def test_a_header_value_that_is_not_text_is_malformed():
    scheme = HmacScheme(
        signature_headers=("x-sig",),
        template="{id}.{body}",
        id_headers=("x-id",),
        lab_ids=(("x-id", "msg"),),
    )
    headers = scheme.sign(BODY, "k", NOW)

    verifier(scheme).verify(BODY, headers)
    with pytest.raises(MalformedSignatureError, match="delivery id"):
        verifier(scheme).verify(BODY, {**headers, "x-id": "msg_\ud800"})


def test_secret_prefix_mac_is_a_plain_hash():
    scheme = HmacScheme(signature_headers=("x-sig",), mac="secret-prefix")

    assert scheme.sign(BODY, "k", NOW) == {"x-sig": hashlib.sha256(b"k" + BODY).hexdigest()}


@pytest.mark.parametrize(
    ("style", "pattern"),
    [
        ("uuid", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        ("msg", r"msg_[0-9a-f]{27}"),
        ("digits", r"[0-9]{1,15}"),
    ],
)
def test_lab_delivery_ids_look_real(style, pattern):
    import re

    assert re.fullmatch(pattern, lab_delivery_id(style, BODY))
    assert lab_delivery_id(style, BODY) == lab_delivery_id(style, BODY)


# --- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "seconds"),
    [
        ("1790000000", "s", 1_790_000_000),
        (" 1790000000 ", "s", 1_790_000_000),
        ("1790000000123", "ms", 1_790_000_000.123),
        ("2026-09-21T14:13:20Z", "iso", 1_790_000_000),
        ("2026-09-21T16:13:20+02:00", "iso", 1_790_000_000),
        ("2026-09-21T14:13:20", "iso", 1_790_000_000),  # no offset: UTC
        ("2026-09-21T14:13:20.500Z", "iso", 1_790_000_000.5),
    ],
)
def test_timestamps_are_read_in_the_senders_unit(text, unit, seconds):
    assert parse_timestamp(text, unit) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("", "s"),
        ("-1", "s"),
        ("1.5", "s"),
        ("1e9", "s"),
        ("9" * 16, "s"),
        ("9" * 19, "ms"),
        ("\u0661\u0662", "s"),  # Arabic-Indic digits are not ASCII digits
        ("yesterday", "iso"),
        ("", "iso"),
        ("2026-09-21T14:13:20Z" * 3, "iso"),
        ("2026-02-30T00:00:00Z", "iso"),
    ],
)
def test_bad_timestamps_are_malformed(text, unit):
    with pytest.raises(MalformedSignatureError, match="the timestamp is not"):
        parse_timestamp(text, unit)


@pytest.mark.parametrize(
    ("unit", "text"),
    [("s", "1790000000"), ("ms", "1790000000000"), ("iso", "2026-09-21T14:13:20Z")],
)
def test_timestamps_are_written_as_senders_write_them(unit, text):
    assert format_timestamp(NOW, unit) == text
    assert parse_timestamp(text, unit) == NOW


def test_check_timestamp_is_inclusive_at_the_edge_and_names_the_direction_and_age():
    check_timestamp(NOW - 300, NOW, 300)
    check_timestamp(NOW + 300, NOW, 300)
    with pytest.raises(TimestampOutOfToleranceError) as past:
        check_timestamp(NOW - 300.001, NOW, 300)
    with pytest.raises(TimestampOutOfToleranceError) as future:
        check_timestamp(NOW + 300.001, NOW, 300)
    assert (past.value.details, future.value.details) == (
        {"direction": "past", "age_s": pytest.approx(300.001)},
        {"direction": "future", "age_s": pytest.approx(-300.001)},
    )


# --- keys and digests ---------------------------------------------------------------------------


def test_utf8_keys_are_the_secret_as_is():
    assert usable_secrets(["whsec_abc", " k "]) == (b"whsec_abc", b"k")


def test_whsec_keys_are_base64_with_optional_prefix_and_padding():
    raw = bytes(range(32))
    padded = base64.b64encode(raw).decode()

    assert usable_secrets(["whsec_" + padded], "whsec-base64") == (raw,)
    assert usable_secrets([padded], "whsec-base64") == (raw,)
    assert usable_secrets(["whsec_" + padded.rstrip("=")], "whsec-base64") == (raw,)


def test_unusable_secrets_are_skipped_while_one_is_usable():
    assert usable_secrets(["whsec_short", whsec(5)], "whsec-base64") == (bytes([5]) * 32,)
    assert usable_secrets(["\ud800", "k"]) == (b"k",)
    with pytest.raises(NoSecretError):
        usable_secrets(["\ud800"])
    with pytest.raises(NoSecretError, match="24 bytes"):
        usable_secrets([whsec(5, size=23)], "whsec-base64")


@pytest.mark.parametrize(
    ("text", "encoding", "size", "expected"),
    [
        ("AA==", "base64", 1, b"\0"),
        ("AA", "base64", 1, None),  # unpadded: senders pad
        ("AA==", "base64", 2, None),
        ("A\u00e9==", "base64", 1, None),
        ("0A", "hex", 1, b"\n"),
        ("0", "hex", 1, None),
    ],
)
def test_received_digests_are_decoded_strictly(text, encoding, size, expected):
    assert decode_digest(text, encoding, size) == expected


def test_matches_compares_every_pair():
    assert matches([b"a", b"b"], [b"c", b"b"])
    assert not matches([b"a"], [b"b", b"c"])
    assert not matches([], [b"a"])
