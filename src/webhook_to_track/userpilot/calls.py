"""A Userpilot call as a value: its kind (which endpoint) and its JSON body."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TypeAlias, TypedDict

from webhook_to_track.userpilot.api import ENDPOINTS, CallKind

Primitive: TypeAlias = str | int | float | bool | None


class TrackBody(TypedDict):
    """The body of ``POST /v1/track``: metadata holds primitives only."""

    user_id: str
    event_name: str
    metadata: dict[str, Primitive]


CallBody: TypeAlias = TrackBody


@dataclass(frozen=True, slots=True)
class UserpilotCall:
    """One request to Userpilot, before it has a host or a key."""

    kind: CallKind
    body: CallBody

    @property
    def endpoint(self) -> str:
        return ENDPOINTS[self.kind]

    @property
    def name(self) -> str:
        """What an operator recognises the call by: the event name for track calls."""
        return self.body["event_name"]

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of kind and body: the same call always hashes the
        same, and a rule change that alters the body changes it."""
        canonical = json.dumps(
            {"kind": self.kind, "body": self.body},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def track(body: TrackBody) -> UserpilotCall:
    return UserpilotCall("track", body)
