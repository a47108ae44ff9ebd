"""QueuedCall: the SQS message body of one call. It round-trips, its key is stable, and
from_json refuses anything that is not exactly what ingest wrote (one ingredient per test)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

from webhook_to_track.queue.message import (
    VERSION,
    MalformedMessageError,
    QueuedCall,
    call_key,
    utc_now,
)
from webhook_to_track.userpilot.calls import TrackBody, track

RECEIVED_AT = "2026-12-02T00:00:00Z"


def body(**overrides: Any) -> TrackBody:
    document: dict[str, Any] = {
        "user_id": "cus_1",
        "event_name": "invoice_paid",
        "metadata": {"amount": 49.0, "currency": "eur", "city": "Zürich", "trial": False},
    }
    document.update(overrides)
    return document  # type: ignore[return-value]


def queued(call_body: TrackBody | None = None, **overrides: Any) -> QueuedCall:
    """A queued call as ingest builds it; keyword arguments replace QueuedCall.of's."""
    kwargs: dict[str, Any] = {
        "source": "stripe",
        "delivery_id": "evt_1",
        "rule": "invoice_paid",
        "position": "0",
        "received_at": RECEIVED_AT,
        **overrides,
    }
    return QueuedCall.of(track(call_body or body()), **kwargs)


def document(**changes: Any) -> dict[str, Any]:
    """The message document of ``queued()``, with top-level fields replaced."""
    return {**queued().to_document(), **changes}


def without(name: str) -> dict[str, Any]:
    return {k: v for k, v in queued().to_document().items() if k != name}


def message(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False)


# --- building and round-tripping ------------------------------------------------------------------


def test_document_has_the_contracts_shape():
    doc = queued().to_document()

    assert doc == {
        "v": 1,
        "key": "stripe:evt_1:invoice_paid:0",
        "kind": "track",
        "body": body(),
        "body_sha256": track(body()).digest(),
        "source": "stripe",
        "delivery_id": "evt_1",
        "rule": "invoice_paid",
        "index": "0",
        "received_at": RECEIVED_AT,
    }


def test_body_sha256_is_the_contracts_hash():
    canonical = json.dumps(
        {"kind": "track", "body": body()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )

    assert queued().body_sha256 == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_json_round_trip():
    original = queued()

    assert QueuedCall.from_json(original.to_json()) == original


def test_json_is_utf8_not_escaped():
    assert "Zürich" in queued().to_json()
    assert "\\u" not in queued().to_json()


@pytest.mark.parametrize(
    ("parts", "key"),
    [
        (("stripe", "evt_1", "invoice_paid", "0"), "stripe:evt_1:invoice_paid:0"),
        (("hubspot", "d-9", "hubspot.batch", "1.3"), "hubspot:d-9:hubspot.batch:1.3"),
    ],
)
def test_key_is_source_delivery_rule_position(parts: tuple[str, str, str, str], key: str):
    source, delivery_id, rule, position = parts

    assert call_key(*parts) == key
    assert queued(source=source, delivery_id=delivery_id, rule=rule, position=position).key == key


def test_for_each_position_round_trips():
    original = queued(position="0.3")

    assert QueuedCall.from_json(original.to_json()).position == "0.3"
    assert original.to_document()["index"] == "0.3"


def test_key_is_the_same_on_every_build_of_the_same_call():
    assert queued(received_at="2026-12-03T00:00:00Z").key == queued().key


def test_body_hash_changes_when_the_body_changes():
    changed = queued(body(metadata={"amount": 50.0, "currency": "eur"}))

    assert changed.key == queued().key
    assert changed.body_sha256 != queued().body_sha256


def test_summary_names_the_call_without_payload_values():
    assert queued().summary() == {
        "key": "stripe:evt_1:invoice_paid:0",
        "kind": "track",
        "name": "invoice_paid",
    }


def test_received_at_defaults_to_now_in_utc():
    call = QueuedCall.of(track(body()), source="s", delivery_id="d", rule="r", position="0")

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", call.received_at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_now())


def test_version_is_one():
    assert VERSION == 1


# --- from_json refuses, one ingredient at a time --------------------------------------------------


def test_valid_document_is_accepted():
    # The baseline every negative test below changes one thing of.
    assert QueuedCall.from_json(message(document())) == queued()


@pytest.mark.parametrize("text", ["", "not json", "{", "\ufeff{}"])
def test_not_json_is_refused(text: str):
    with pytest.raises(MalformedMessageError, match="not JSON"):
        QueuedCall.from_json(text)


@pytest.mark.parametrize("text", ["[]", '"text"', "1", "null"])
def test_json_that_is_not_an_object_is_refused(text: str):
    with pytest.raises(MalformedMessageError, match="not a version 1 forward message"):
        QueuedCall.from_json(text)


@pytest.mark.parametrize("version", [2, 0, "1", None, 1.5, True])
def test_wrong_version_is_refused(version: Any):
    with pytest.raises(MalformedMessageError, match="not a version 1 forward message"):
        QueuedCall.from_json(message(document(v=version)))


def test_missing_version_is_refused():
    with pytest.raises(MalformedMessageError, match="not a version 1 forward message"):
        QueuedCall.from_json(message(without("v")))


@pytest.mark.parametrize("kind", ["identify", "company", "TRACK", ""])
def test_unknown_kind_is_refused(kind: str):
    with pytest.raises(MalformedMessageError, match="unknown call kind"):
        QueuedCall.from_json(message(document(kind=kind)))


@pytest.mark.parametrize(
    "kind", [None, 1, ["track"], {"track": 1}], ids=["null", "number", "list", "object"]
)
def test_kind_that_is_not_text_is_refused(kind: Any):
    # A list or an object as the kind must be refused as malformed, not crash the parser
    # (an unhashable value in ``kind not in ENDPOINTS`` raises TypeError).
    with pytest.raises(MalformedMessageError):
        QueuedCall.from_json(message(document(kind=kind)))


@pytest.mark.parametrize(
    "name",
    ["kind", "body", "key", "body_sha256", "source", "delivery_id", "rule", "index", "received_at"],
)
def test_missing_field_is_refused(name: str):
    with pytest.raises(MalformedMessageError, match=f"the message has no '{name}'"):
        QueuedCall.from_json(message(without(name)))


@pytest.mark.parametrize(
    "name", ["key", "body_sha256", "source", "delivery_id", "rule", "index", "received_at"]
)
@pytest.mark.parametrize("value", [None, 0, ["x"], {"x": 1}])
def test_field_that_is_not_text_is_refused(name: str, value: Any):
    with pytest.raises(MalformedMessageError, match="should be text"):
        QueuedCall.from_json(message(document(**{name: value})))


@pytest.mark.parametrize("value", [None, "text", ["a"], 1])
def test_body_that_is_not_an_object_is_refused(value: Any):
    with pytest.raises(MalformedMessageError, match="not an object"):
        QueuedCall.from_json(message(document(body=value)))


@pytest.mark.parametrize(
    "change",
    [
        {"key": "stripe:evt_2:invoice_paid:0"},
        {"source": "paddle"},
        {"delivery_id": "evt_2"},
        {"rule": "invoice_failed"},
        {"index": "1"},
    ],
    ids=["key", "source", "delivery_id", "rule", "index"],
)
def test_key_not_matching_its_parts_is_refused(change: dict[str, str]):
    with pytest.raises(MalformedMessageError, match="key does not match"):
        QueuedCall.from_json(message(document(**change)))


@pytest.mark.parametrize(
    "change",
    [
        {"body": {**body(), "user_id": "cus_2"}},
        {"body": {**body(), "metadata": {"amount": 4900.0}}},
        {"body_sha256": "0" * 64},
        {"body_sha256": ""},
    ],
    ids=["user-edited", "metadata-edited", "hash-edited", "hash-empty"],
)
def test_body_not_matching_its_hash_is_refused(change: dict[str, Any]):
    with pytest.raises(MalformedMessageError, match="does not match its body_sha256"):
        QueuedCall.from_json(message(document(**change)))


def test_malformed_message_is_a_400_malformed_body():
    error = MalformedMessageError("x")

    assert (error.status_code, error.code, error.retryable) == (400, "malformed_message", False)
