"""Property tests: any JSON payload through any shipped rule set present (and HubSpot's for_each
rules) yields schema-valid events or clean Rejections, never an exception."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import PAYLOADS, VEHICLE_SOURCES
from webhook_to_track.models import Rejection
from webhook_to_track.registry import load_registry
from webhook_to_track.rules import MappingResult, RuleSet
from webhook_to_track.userpilot.validation import is_valid_track

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),  # json.loads accepts NaN and Infinity
    st.text(max_size=12),
    st.sampled_from(["", " ", "usd", "jpy", "JPY", "subscription_cycle", "x" * 1500]),
    st.sampled_from([1724155203, 1724155203123, -5, 10**13, "1724155203", "2024-08-20T12:00Z"]),
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@cache
def shipped() -> tuple[tuple[str, RuleSet], ...]:
    return tuple((name, source.rules) for name, source in sorted(load_registry().sources.items()))


@cache
def hubspot() -> RuleSet:
    """HubSpot's for_each rules (it posts an array of notifications), from the tests' own
    copy: the shipped hubspot.json may be edited or removed."""
    return load_registry(VEHICLE_SOURCES).get("hubspot").rules


@cache
def samples() -> tuple[Any, ...]:
    files = sorted(PAYLOADS.glob("*/*.json")) + sorted(FIXTURES.glob("*/*.input.json"))
    return tuple(json.loads(p.read_text("utf-8")) for p in files)


def locations(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path inside a JSON value."""
    yield here
    if isinstance(value, dict):
        for key, child in value.items():
            yield from locations(child, (*here, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from locations(child, (*here, index))


def replaced(document: Any, where: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not where:
        return value
    head, rest = where[0], where[1:]
    copy = dict(document) if isinstance(document, dict) else list(document)
    if delete and not rest and isinstance(copy, dict):
        del copy[head]
        return copy
    copy[head] = replaced(copy[head], rest, value, delete)
    return copy


@st.composite
def mutated_samples(draw: st.DrawFn) -> Any:
    """A real payload with a few subtrees replaced or deleted: close enough to match rules."""
    document = draw(st.sampled_from(samples()))
    for _ in range(draw(st.integers(1, 4))):
        spots = list(locations(document))
        where = draw(st.sampled_from(spots[1:] or spots))
        document = replaced(document, where, draw(JSON), draw(st.booleans()))
    return document


NOTIFICATION = st.fixed_dictionaries(
    {
        "eventId": st.one_of(st.integers(0, 10**12), JSON_LEAVES),
        "objectId": st.one_of(st.integers(0, 10**9), JSON_LEAVES),
        "portalId": JSON_LEAVES,
        "occurredAt": st.one_of(st.integers(0, 2 * 10**12), JSON_LEAVES),
        "subscriptionType": st.sampled_from(["contact.creation", "contact.propertyChange", "x"]),
    },
    optional={
        "propertyName": st.sampled_from(["lifecyclestage", "hs_lead_status"]),
        "propertyValue": JSON,
        "changeSource": JSON,
    },
)
PAYLOADS_ANY = st.one_of(JSON, mutated_samples(), st.lists(NOTIFICATION, max_size=6))


def assert_clean(result: MappingResult) -> None:
    for item in result.calls:
        assert is_valid_track(item.call.body), item.call.body
    for rejection in result.rejected:
        assert isinstance(rejection, Rejection)
        assert rejection.reason


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PAYLOADS_ANY, delivery_id=st.one_of(st.none(), st.text(min_size=1, max_size=8)))
def test_any_payload_through_any_shipped_rule_set_is_valid_or_rejected(payload, delivery_id):
    for _, rules in shipped():
        assert_clean(rules.map(payload, delivery_id=delivery_id))


@settings(max_examples=300, deadline=None)
@given(payload=PAYLOADS_ANY)
def test_any_payload_through_for_each_rules_is_valid_or_rejected(payload):
    result = hubspot().map(payload, delivery_id="d")

    assert_clean(result)
    assert len(result.calls) <= 3 * max(1, len(payload) if isinstance(payload, list) else 0)
