"""Shapes shared between steps: the Userpilot track event and a delivery's identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias, TypedDict

Primitive: TypeAlias = str | int | float | bool | None


class TrackEvent(TypedDict):
    """The body of ``POST /v1/track``: metadata holds primitives only."""

    user_id: str
    event_name: str
    metadata: dict[str, Primitive]


@dataclass(frozen=True, slots=True)
class DeliveryKey:
    """What makes a delivery unique: the idempotency key (Powertools hashes it via ``asdict``)."""

    source: str
    delivery_id: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """An event the rules or Userpilot refused: recorded with its reason, never sent half-formed."""

    rule: str
    event_index: int
    reason: str
    event_name: str | None = None

    def to_dict(self) -> dict[str, object]:
        result: dict[str, object] = {"rule": self.rule, "event": self.event_index}
        if self.event_name:
            result["event_name"] = self.event_name
        result["reason"] = self.reason
        return result
