"""Paths: dotted keys, indexes (negative from the end), quoted keys, $ and @ roots."""

from __future__ import annotations

import pytest

from webhook_to_track.rules.paths import MISSING, PathError, parse_path

DOC = {
    "a": {"b": [{"c": 1}, {"c": 2}], "odd.key": "x", "n": None, "s": "text"},
    "": "empty-key",
    "list": [10, 20, 30],
    "deep": {"k1": {"k2": {"k3": {"k4": "four"}}}},
}
ITEM = {"objectId": 901, "tags": ["x"]}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("a.b[0].c", 1),
        ("$.a.b[1].c", 2),
        ("a.b[-1].c", 2),
        ("list[-3]", 10),
        ("a['odd.key']", "x"),
        ("a.n", None),
        ("$", DOC),
        ("deep.k1.k2.k3.k4", "four"),
        ("a.b[2].c", MISSING),
        ("list[3]", MISSING),
        ("list[-4]", MISSING),
        ("a.b.c", MISSING),
        ("a.missing", MISSING),
        ("a.n.deeper", MISSING),
        ("a.b[0].c.d", MISSING),
        ("a.s[0]", MISSING),  # text is not indexed by character
        ("a.s.x", MISSING),
        ("list.x", MISSING),
        ("deep.k1.k2.nope.k4", MISSING),
    ],
)
def test_root_paths_read_the_payload(path, value):
    compiled = parse_path(path)

    assert compiled.get(DOC) == value
    assert compiled.read(DOC, ITEM) == value
    assert compiled.item is False


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("@", ITEM),
        ("@.objectId", 901),
        ("@.tags[0]", "x"),
        ("@['objectId']", 901),
        ("@.nope", MISSING),
    ],
)
def test_item_paths_read_the_current_item(path, value):
    compiled = parse_path(path)

    assert compiled.item is True
    assert compiled.read(DOC, ITEM) == value


def test_missing_is_falsy_and_not_none():
    assert not MISSING
    assert MISSING is not None
    assert repr(MISSING) == "MISSING"


@pytest.mark.parametrize(
    "path",
    [
        "",
        "  ",
        "a..b",
        "a[x]",
        "a[0]b",
        "a b",
        "['unclosed",
        5,
        None,
        "a." + "b." * 40,
        "@x",
        "@@",
        "x" * 501,
    ],
)
def test_bad_paths_are_refused_with_a_reason(path):
    with pytest.raises(PathError):
        parse_path(path)


# --- $headers.<name>: a request header, for senders that put the event type there ----------------


def test_header_paths_read_the_request_headers_while_mapping():
    from webhook_to_track.rules.paths import request_headers

    path = parse_path("$headers.X-Shopify-Topic")

    assert path.header == "x-shopify-topic"
    assert path.get({"x-shopify-topic": "payload keys are not headers"}) is MISSING
    with request_headers({"x-shopify-topic": "orders/create"}):
        assert path.get({}) == "orders/create"
    assert path.get({}) is MISSING


@pytest.mark.parametrize(
    "text",
    [
        "$headers",
        "$headers.",
        "$headers.a.b",
        "$headers.authorization",
        "$headers.x-hub-signature-256",
        "$headers.stripe-signature",
        "$headers.x-webhook-token",
        "$headers.cookie",
        "$headers.x-api-key",
    ],
)
def test_bad_or_credential_header_paths_are_refused(text):
    with pytest.raises(PathError):
        parse_path(text)
