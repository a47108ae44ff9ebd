"""One queued Userpilot call: its stable key, kind, body and body hash, as an SQS message body.

The key ``source:delivery_id:rule:position`` is the same on every attempt, sender retry and
replay, so the forwarder's idempotency record catches every repeat of one call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast

from webhook_to_track.errors import MalformedBodyError
from webhook_to_track.userpilot.api import ENDPOINTS, CallKind
from webhook_to_track.userpilot.calls import CallBody, UserpilotCall

VERSION: Final = 1


def call_key(source: str, delivery_id: str, rule: str, position: str) -> str:
    return f"{source}:{delivery_id}:{rule}:{position}"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MalformedMessageError(MalformedBodyError):
    """A queue message that is not one of ours (or was altered): it is parked, never sent."""

    code = "malformed_message"


@dataclass(frozen=True, slots=True)
class QueuedCall:
    key: str
    call: UserpilotCall
    body_sha256: str
    source: str
    delivery_id: str
    rule: str
    position: str
    received_at: str

    @classmethod
    def of(
        cls,
        call: UserpilotCall,
        *,
        source: str,
        delivery_id: str,
        rule: str,
        position: str,
        received_at: str | None = None,
    ) -> QueuedCall:
        return cls(
            key=call_key(source, delivery_id, rule, position),
            call=call,
            body_sha256=call.digest(),
            source=source,
            delivery_id=delivery_id,
            rule=rule,
            position=position,
            received_at=received_at or utc_now(),
        )

    def to_document(self) -> dict[str, Any]:
        """The JSON document the forwarder's idempotency record is keyed and checked on."""
        return {
            "v": VERSION,
            "key": self.key,
            "kind": self.call.kind,
            "body": self.call.body,
            "body_sha256": self.body_sha256,
            "source": self.source,
            "delivery_id": self.delivery_id,
            "rule": self.rule,
            "index": self.position,
            "received_at": self.received_at,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_document(), separators=(",", ":"), ensure_ascii=False)

    def summary(self) -> dict[str, str]:
        """What the delivery record and the logs say about a queued call (no payload values)."""
        return {"key": self.key, "kind": self.call.kind, "name": self.call.name}

    @classmethod
    def from_json(cls, text: str) -> QueuedCall:
        """Parse and check a message body (raises MalformedMessageError).

        The body hash is recomputed: a message whose body does not match it is refused, so a
        hand-edited replay cannot send something other than what ingest validated.
        """
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise MalformedMessageError("the message body is not JSON") from exc
        version = document.get("v") if isinstance(document, dict) else None
        if type(version) is not int or version != VERSION:
            raise MalformedMessageError(f"not a version {VERSION} forward message")
        try:
            kind = document["kind"]
            if not isinstance(kind, str) or kind not in ENDPOINTS:
                raise MalformedMessageError(f"unknown call kind {kind!r}")
            body = document["body"]
            if not isinstance(body, dict):
                raise MalformedMessageError("the call body is not an object")
            fields = {
                name: document[name]
                for name in ("key", "body_sha256", "source", "delivery_id", "rule", "received_at")
            }
            position = document["index"]
        except KeyError as exc:
            raise MalformedMessageError(f"the message has no {exc.args[0]!r}") from exc
        if not all(isinstance(value, str) for value in (*fields.values(), position)):
            raise MalformedMessageError("a message field that should be text is not")
        call = UserpilotCall(cast(CallKind, kind), cast(CallBody, body))  # both checked above
        queued = cls(call=call, position=position, **fields)
        if queued.key != call_key(queued.source, queued.delivery_id, queued.rule, position):
            raise MalformedMessageError("the key does not match source, delivery id and rule")
        if call.digest() != queued.body_sha256:
            raise MalformedMessageError("the body does not match its body_sha256")
        return queued
