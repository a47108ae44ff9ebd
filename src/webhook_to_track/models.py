"""Shapes shared between steps: a delivery's identity and what was refused."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeliveryKey:
    """What makes a delivery unique: the idempotency key (Powertools hashes it via ``asdict``)."""

    source: str
    delivery_id: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """A call the rules refused: recorded with its reason, never sent half-formed."""

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
