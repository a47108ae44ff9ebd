"""Hostile input: whatever the headers and body hold, a verifier only raises SignatureError."""

from __future__ import annotations

import base64
import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.signatures.factory import NOW, SIGNATURE_HEADER, case
from webhook_to_track.errors import SignatureError
from webhook_to_track.presets import PRESETS

NAMES = sorted(PRESETS)
HEADERS = sorted(
    {
        *SIGNATURE_HEADER.values(),
        "webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp",
        "x-zendesk-webhook-signature-timestamp", "x-hubspot-request-timestamp",
        "x-front-request-timestamp", "x-slack-request-timestamp",
    }
)  # fmt: skip
FRAGMENTS = st.sampled_from(
    [
        "t=", "ts=", "v1=", "v0=", "h1=", "v1,", "v1a,", "sha1=", "sha256=", ",", ";", " ", "=",
        "Basic ", str(NOW), str(NOW * 1000), "2026-09-21T14:13:20Z", "9" * 30, "-1",
        "ff" * 20, "ff" * 32, base64.b64encode(b"\0" * 32).decode(), "AAAA", "====",
        "\ud800", "\x00", "\u00e9", "\U0001f389", "[", "%3A",
    ]
)  # fmt: skip
VALUES = st.one_of(
    st.text(max_size=80), st.lists(FRAGMENTS | st.text(max_size=3), max_size=10).map("".join)
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    headers=st.dictionaries(st.sampled_from(HEADERS), VALUES, max_size=6),
    body=st.binary(max_size=200),
)
def test_arbitrary_headers_and_bodies_only_raise_signature_errors(name, headers, body):
    c = case(name)

    try:
        c.verifier().verify(body, headers)
    except SignatureError:
        return
    raise AssertionError(f"{name} accepted forged headers {headers!r}")


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    data=st.data(),
    fragment=st.one_of(FRAGMENTS, st.text(max_size=5)),
)
def test_mutated_genuine_headers_are_accepted_or_signature_errors(name, data, fragment):
    # Splicing into real headers reaches the parsers past their first checks.
    c = case(name)
    headers = c.sign()
    key = data.draw(st.sampled_from(sorted(headers)))
    value = headers[key]
    start = data.draw(st.integers(0, len(value)))
    end = data.draw(st.integers(start, len(value)))

    mutated = {**headers, key: value[:start] + fragment + value[end:]}

    with contextlib.suppress(SignatureError):
        c.verifier().verify(c.body, mutated)
