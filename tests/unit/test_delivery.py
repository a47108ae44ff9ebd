"""Parsing a verified body and finding the sender's delivery id."""

from __future__ import annotations

import hashlib

import pytest

from tests.factories import make_event
from webhook_to_track.delivery import DeliveryIdSpec, parse_json
from webhook_to_track.errors import MalformedBodyError
from webhook_to_track.request import parse_request
from webhook_to_track.rules.paths import parse_path


def request(body: bytes, **headers: str):
    return parse_request(make_event(body, headers=headers), max_body_bytes=10**6)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_bodies_that_are_not_json_are_malformed(body, message):
    with pytest.raises(MalformedBodyError, match=message):
        parse_json(body)


def test_delivery_id_from_a_body_path():
    spec = DeliveryIdSpec(path=parse_path("id"))

    assert spec.find({"id": "evt_1"}, request(b"{}")) == "evt_1"
    assert spec.find({"id": 42}, request(b"{}")) == "42"


def test_delivery_id_from_a_header():
    spec = DeliveryIdSpec(header="x-github-delivery")

    assert spec.find({}, request(b"{}", **{"X-GitHub-Delivery": "abc"})) == "abc"


@pytest.mark.parametrize("payload", [{}, {"id": ""}, {"id": None}, {"id": True}, {"id": {"x": 1}}])
def test_without_an_id_the_body_hash_is_the_key(payload):
    body = b'{"no": "id"}'

    key = DeliveryIdSpec(path=parse_path("id")).find(payload, request(body))

    assert key == "sha256:" + hashlib.sha256(body).hexdigest()
