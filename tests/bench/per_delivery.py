"""Per-delivery CPU cost of the pure steps, against floors measured in the same run.

Stripe: the floor is what any verifier must do to a delivery, json.loads of the body plus one
HMAC-SHA256 over it. Measured: the handler's pure steps for the same delivery, parse_request ->
verify -> parse JSON and find the delivery id -> map (rules + Userpilot normaliser; the "map
(rules)" row includes the normaliser) -> validate each event (no DynamoDB, no network). The
target is map + normalise + validate at most 2x json.loads of the same payload.

HubSpot: a 100-notification batch (a JSON array) through the shipped hubspot source's
for_each rules, against json.loads of the batch.

    make bench        (or: python -m tests.bench.per_delivery)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.factories import VEHICLE_PAYLOADS, VEHICLE_SOURCES
from webhook_to_track.local.events import make_apigw_event
from webhook_to_track.registry import load_registry
from webhook_to_track.request import parse_request
from webhook_to_track.rules import RuleSet
from webhook_to_track.userpilot.validation import validate_track

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_benchmark_secret"
REPEATS = 25
TARGET = 2.0
"""map + normalise + validate of the Stripe event, in units of json.loads of its body"""


def per_call_us(function: Callable[[], Any], budget_s: float = 0.2) -> float:
    """Median over REPEATS of the mean per-call time, each repeat about budget_s long."""
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    number = max(1, int(number * budget_s / 0.2))
    return statistics.median(t / number for t in timer.repeat(REPEATS, number)) * 1e6


def hubspot_batch(size: int = 100) -> list[dict[str, Any]]:
    """HubSpot-shaped notifications: creations, lifecycle changes, other property changes and
    deal events that no rule maps (3 of 4 yield a track event)."""
    kinds = (
        "contact.creation",
        "contact.propertyChange",
        "contact.propertyChange",
        "deal.creation",
    )
    batch = []
    for i in range(size):
        item: dict[str, Any] = {
            "eventId": 1_000_000 + i,
            "subscriptionId": 2_245_731,
            "portalId": 62515,
            "appId": 1_160_452,
            "occurredAt": 1_724_155_200_123 + 997 * i,
            "subscriptionType": kinds[i % 4],
            "attemptNumber": 0,
            "objectId": 9_000 + i,
            "changeSource": "CRM_UI" if i % 3 else "IMPORT",
            "changeFlag": "NEW" if i % 4 == 0 else "UPDATED",
        }
        if i % 4 == 1:
            item.update(propertyName="lifecyclestage", propertyValue=("lead", "Customer")[i % 2])
        elif i % 4 == 2:
            item.update(propertyName="hs_lead_status", propertyValue=f"OPEN {i}")
        batch.append(item)
    return batch


def rules_path(rules: RuleSet, payload: Any, delivery_id: str) -> Callable[[], None]:
    """map (rules + normaliser) then validate every event: what the service does per delivery."""

    def run() -> None:
        for item in rules.map(payload, delivery_id=delivery_id).calls:
            validate_track(item.call.body)

    return run


def stripe() -> None:
    source = load_registry(VEHICLE_SOURCES).get("stripe")  # the tests' copy: shipped may go
    body = (VEHICLE_PAYLOADS / "stripe" / "invoice.paid.json").read_bytes()
    body = json.dumps(json.loads(body), separators=(",", ":")).encode()  # as Stripe sends it
    now = int(time.time())
    event = make_apigw_event("stripe", body, source.preset.sign(body, SECRET, now), now=now)
    verifier = source.verifier([SECRET])
    key = SECRET.encode()

    def floor() -> None:
        json.loads(body)
        hmac.new(key, b"%d." % now + body, hashlib.sha256).hexdigest()

    def delivery() -> None:
        request = parse_request(event, max_body_bytes=1 << 20)
        verifier.verify(request.body, request.headers)
        payload = json.loads(request.body)
        delivery_id = source.delivery_id.find(payload, request)
        for item in source.rules.map(payload, delivery_id=delivery_id).calls:
            validate_track(item.call.body)

    payload_once = json.loads(body)
    delivery_id = str(payload_once["id"])

    def map_only() -> None:
        source.rules.map(payload_once, delivery_id=delivery_id)

    def validate_only() -> None:
        for event_ in mapped:
            validate_track(event_)

    mapped = [item.call.body for item in source.rules.map(payload_once).calls]
    loads = per_call_us(lambda: json.loads(body))
    floor_us, delivery_us = per_call_us(floor), per_call_us(delivery)
    map_us, validate_us = per_call_us(map_only), per_call_us(validate_only)
    both_us = per_call_us(rules_path(source.rules, payload_once, delivery_id))

    print(
        f"Stripe invoice.paid, {len(body)} bytes, {len(mapped)} track events;"
        f" median of {REPEATS} repeats"
    )
    ratio = both_us / loads
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    rows = [
        ("json.loads", loads, ""),
        ("floor: json.loads + HMAC-SHA256", floor_us, "1.00x"),
        ("whole pure path per delivery", delivery_us, f"{delivery_us / floor_us:.2f}x floor"),
        ("  of which map (rules)", map_us, f"{map_us / loads:.2f}x json.loads"),
        (
            f"  of which validate ({len(mapped)} events)",
            validate_us,
            f"{validate_us / loads:.2f}x json.loads",
        ),
        (
            f"map + normalise + validate (target <= {TARGET:.1f}x)",
            both_us,
            f"{ratio:.2f}x json.loads  {verdict}",
        ),
    ]
    for label, value, note in rows:
        print(f"{label:<44}{value:8.1f} us  {note}")


def hubspot() -> None:
    rules = load_registry(VEHICLE_SOURCES).get("hubspot").rules
    batch = hubspot_batch()
    body = json.dumps(batch, separators=(",", ":")).encode()
    payload = json.loads(body)
    events = len(rules.map(payload, delivery_id="batch").calls)
    loads = per_call_us(lambda: json.loads(body))
    both_us = per_call_us(rules_path(rules, payload, "batch"))
    print(
        f"\nHubSpot batch, {len(batch)} notifications, {len(body)} bytes, {events} track events;"
        f" median of {REPEATS} repeats"
    )
    rows = [
        ("json.loads", loads, ""),
        (
            "map + normalise + validate",
            both_us,
            f"{both_us / loads:.2f}x json.loads, {both_us / events:.1f} us per event",
        ),
    ]
    for label, value, note in rows:
        print(f"{label:<44}{value:8.1f} us  {note}")


def main() -> int:
    stripe()
    hubspot()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
