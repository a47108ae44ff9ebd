"""Per-delivery CPU cost of the pure steps, against a floor measured in the same run.

Floor: what any verifier must do to a delivery, json.loads of the body plus one HMAC-SHA256
over it. Measured: the handler's pure steps for the same delivery, parse_request -> verify ->
parse JSON and find the delivery id -> map -> validate each event (no DynamoDB, no network).

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

from webhook_to_track.local.events import make_apigw_event
from webhook_to_track.registry import load_registry
from webhook_to_track.request import parse_request
from webhook_to_track.validation import validate_track

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_benchmark_secret"
REPEATS = 25


def per_call_us(function: Callable[[], Any], budget_s: float = 0.2) -> float:
    """Median over REPEATS of the mean per-call time, each repeat about budget_s long."""
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    number = max(1, int(number * budget_s / 0.2))
    return statistics.median(t / number for t in timer.repeat(REPEATS, number)) * 1e6


def main() -> int:
    source = load_registry().get("stripe")
    body = (ROOT / "events" / "payloads" / "stripe" / "invoice.paid.json").read_bytes()
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
        source.delivery_id.find(payload, request)
        for item in source.rules.map(payload).events:
            validate_track(item.event)

    def map_only() -> None:
        source.rules.map(payload_once)

    def validate_only() -> None:
        for event_ in mapped:
            validate_track(event_)

    payload_once = json.loads(body)
    mapped = [item.event for item in source.rules.map(payload_once).events]
    loads = per_call_us(lambda: json.loads(body))
    floor_us, delivery_us = per_call_us(floor), per_call_us(delivery)
    map_us, validate_us = per_call_us(map_only), per_call_us(validate_only)

    print(
        f"Stripe invoice.paid, {len(body)} bytes, {len(mapped)} track events;"
        f" median of {REPEATS} repeats"
    )
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
    ]
    for label, value, note in rows:
        print(f"{label:<44}{value:8.1f} us  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
