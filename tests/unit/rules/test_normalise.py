"""The Userpilot normaliser's pieces: ids, names, leaves, flattening and the key limit."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from webhook_to_track.rules.flatten import (
    DROP,
    FlattenOptions,
    array_text,
    clean_leaf,
    flatten_object,
)
from webhook_to_track.rules.normalise import (
    event_id_text,
    event_name_problem,
    place_value,
    trim_generated,
    user_id_of,
)
from webhook_to_track.rules.paths import MISSING
from webhook_to_track.rules.values import Failure

NO_USER = "no user id in the payload (tried: a, b)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("u1", ("u1", "")),
        (42, ("42", "")),
        (42.0, ("42", "")),
        (-1, ("-1", "")),
        (1.5, (None, NO_USER)),
        (math.nan, (None, NO_USER)),
        (True, (None, NO_USER)),
        ("", (None, NO_USER)),
        (" \t", (None, NO_USER)),
        (None, (None, NO_USER)),
        (MISSING, (None, NO_USER)),
        ({"id": 1}, (None, NO_USER)),
        (Failure("transform 0 ('trim') could not apply to the value"),
         (None, "user_id: transform 0 ('trim') could not apply to the value (tried: a, b)")),
    ],
)  # fmt: skip
def test_user_id(value, expected):
    assert user_id_of(value, ("a", "b")) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("invoice_paid", ""),
        ("   ", ""),  # left to the Track schema, which names the broken rule
        ("x" * 255, ""),
        ("x" * 256, "event_name is longer than 255 characters"),
        ("", "event_name is missing or not a non-empty string"),
        (MISSING, "event_name is missing or not a non-empty string"),
        (7, "event_name is missing or not a non-empty string"),
        (Failure("why"), "event_name: why"),
    ],
)
def test_event_name(value, problem):
    assert event_name_problem(value) == problem


@pytest.mark.parametrize(
    ("value", "delivery_id", "item", "expected"),
    [
        ("evt_1", "d", None, "evt_1"),
        (1001, "d", 3, "1001"),
        (MISSING, "d", None, "d"),
        (None, "d", 3, "d#3"),
        (True, "d", None, "d"),
        ("", None, None, None),
        ("e" * 300, None, None, "e" * 255),
    ],
)
def test_event_id(value, delivery_id, item, expected):
    assert event_id_text(value, delivery_id, item) == expected


@pytest.mark.parametrize(
    ("value", "drop_nulls", "expected"),
    [
        ("x" * 1025, False, "x" * 1024),
        (None, False, None),
        (None, True, DROP),
        (math.inf, False, DROP),
        (1.5, False, 1.5),
        (datetime(2024, 8, 20, 12, 0, 3, tzinfo=UTC), False, "2024-08-20T12:00:03Z"),
        (date(2024, 8, 20), False, "2024-08-20"),
        ({1, 2}, False, DROP),
    ],
)
def test_leaves_are_primitives_userpilot_takes(value, drop_nulls, expected):
    assert clean_leaf(value, drop_nulls) == expected


def test_place_value_reports_why_a_key_is_dropped():
    metadata: dict = {}

    outcomes = [
        place_value(metadata, "a", MISSING, FlattenOptions(), False),
        place_value(metadata, "b", Failure("why"), FlattenOptions(), False),
        place_value(metadata, "c", math.nan, FlattenOptions(), False),
        place_value(metadata, "d", {1, 2}, FlattenOptions(), False),
        place_value(metadata, "e", {"x": None}, FlattenOptions(), True),
        place_value(metadata, "f", [1, "a"], FlattenOptions(), False),
    ]

    assert outcomes == [
        (0, ""),
        (0, "why"),
        (0, "not a finite number"),
        (0, "not a JSON value"),
        (0, ""),
        (0, ""),
    ]
    assert metadata == {"f": "1,a"}


def test_flatten_nested_objects_into_primitive_keys():
    nested = {
        "plan": {"tier": "pro", "limits": {"seats": 5, "deep": {"x": {"y": 1}}}},
        "tags": ["a", "b"],
        "items": [{"id": 1}],
        "secret": "s",
        "n": None,
    }

    flat = flatten_object(nested, "m_", FlattenOptions(max_depth=3, exclude=frozenset({"secret"})))

    assert flat == {
        "m_plan_tier": "pro",
        "m_plan_limits_seats": 5,
        "m_plan_limits_deep": '{"x":{"y":1}}',
        "m_tags": "a,b",
        "m_items": '[{"id":1}]',
        "m_n": None,
    }


@pytest.mark.parametrize(
    ("values", "policy", "expected"),
    [
        (["a", 1, True, 1.5], "join", "a,1,true,1.5"),
        (["a", None], "join", '["a",null]'),
        ([math.nan], "join", DROP),
        (["a", "b"], "json", '["a","b"]'),
        (["a"], "skip", DROP),
    ],
)
def test_array_policies(values, policy, expected):
    assert array_text(values, policy) == expected


def test_trim_removes_generated_keys_from_the_end_only():
    metadata = {"own": 1, "g1": 1, "declared": 2, "g2": 2, "g3": 3}

    removed = trim_generated(metadata, frozenset({"own", "declared"}), 3)

    assert (removed, metadata) == (2, {"own": 1, "g1": 1, "declared": 2})
