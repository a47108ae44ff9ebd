"""UserpilotCall: its endpoint, its name, and a digest that is stable for one body and changes
with any change to it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from webhook_to_track.userpilot.calls import TrackBody, UserpilotCall, track


def body(**overrides: Any) -> TrackBody:
    """A valid track body; keyword arguments replace top-level fields."""
    document: dict[str, Any] = {
        "user_id": "u-1",
        "event_name": "invoice_paid",
        "metadata": {"amount": 49.5, "plan": "pro", "city": "Zürich"},
    }
    document.update(overrides)
    return document  # type: ignore[return-value]


def contract_digest(kind: str, call_body: Any) -> str:
    """The body_sha256 the contract defines, computed independently of calls.py."""
    canonical = json.dumps(
        {"kind": kind, "body": call_body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_track_call_goes_to_v1_track_and_is_named_by_its_event():
    call = track(body())

    assert (call.kind, call.endpoint, call.name) == ("track", "/v1/track", "invoice_paid")


def test_digest_is_the_contracts_canonical_sha256():
    call = track(body())

    assert call.digest() == contract_digest("track", body())


def test_digest_hashes_utf8_not_escapes():
    # Given a body with non-ASCII text
    call = track(body(metadata={"city": "Zürich"}))

    # Then the digest is of the UTF-8 text, not of \u escapes
    escaped = json.dumps(
        {"kind": "track", "body": call.body}, sort_keys=True, separators=(",", ":")
    )
    assert call.digest() != hashlib.sha256(escaped.encode()).hexdigest()
    assert call.digest() == contract_digest("track", call.body)


def test_digest_does_not_depend_on_key_order():
    first = track(body(metadata={"a": 1, "b": 2}))
    second = track({"metadata": {"b": 2, "a": 1}, "event_name": "invoice_paid", "user_id": "u-1"})

    assert first.digest() == second.digest()


@pytest.mark.parametrize(
    "change",
    [
        {"user_id": "u-2"},
        {"event_name": "invoice_refunded"},
        {"metadata": {"amount": 49.5, "plan": "pro", "city": "Zurich"}},
        {"metadata": {"amount": 50, "plan": "pro", "city": "Zürich"}},
        {"metadata": {"amount": 49.5, "plan": "pro"}},
    ],
    ids=["user", "event", "text", "number", "key-removed"],
)
def test_any_change_to_the_body_changes_the_digest(change: dict[str, Any]):
    assert track(body(**change)).digest() != track(body()).digest()


def test_calls_are_values_and_the_same_call_always_hashes_the_same():
    assert track(body()) == UserpilotCall("track", body())
    assert track(body()).digest() == track(body()).digest()
