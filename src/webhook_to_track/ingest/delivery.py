"""Open a verified request as a delivery (parsed body, delivery id) or answer its handshake."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webhook_to_track.delivery import parse_body
from webhook_to_track.models import DeliveryKey
from webhook_to_track.registry import Source
from webhook_to_track.request import WebhookRequest


@dataclass(frozen=True, slots=True)
class Delivery:
    key: DeliveryKey
    payload: Any
    headers: Mapping[str, str]


def open_delivery(request: WebhookRequest, source: Source) -> Delivery:
    """Parse a verified request's body (JSON or the sender's form encoding) and find its
    delivery id (raises MalformedBodyError)."""
    payload = parse_body(request.body, source.preset.body_format)
    key = DeliveryKey(source.name, source.delivery_id.find(payload, request))
    return Delivery(key, payload, request.headers)


def handshake_reply(
    request: WebhookRequest, source: Source, delivery: Delivery
) -> dict[str, str] | None:
    """The answer to a sender's setup handshake (Slack, Front), or None for a delivery."""
    if source.preset.handshake is None:
        return None
    return source.preset.handshake(delivery.payload, request.headers)
