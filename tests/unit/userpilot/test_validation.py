"""The Track JSON Schema: primitives-only metadata, non-empty ids, one compiled validator, and a
plain-Python predicate proven equivalent to jsonschema's verdict."""

from __future__ import annotations

import sys
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from webhook_to_track.errors import InvalidCallError
from webhook_to_track.userpilot.validation import (
    TRACK_SCHEMA,
    UnsupportedSchemaError,
    compile_check,
    get_check,
    get_validator,
    is_valid_track,
    load_schema,
    validate_track,
)

VALID = {
    "user_id": "u1",
    "event_name": "invoice_paid",
    "metadata": {"a": "x", "n": 1.5, "b": True, "z": None},
}


def test_valid_event_passes():
    validate_track(VALID)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "path", "validator"),
    [
        ({"user_id": ""}, "$.user_id", "minLength"),
        ({"user_id": "   "}, "$.user_id", "pattern"),
        ({"user_id": 5}, "$.user_id", "type"),
        ({"user_id": "x" * 256}, "$.user_id", "maxLength"),
        ({"event_name": ""}, "$.event_name", "minLength"),
        ({"metadata": {"nested": {"a": 1}}}, "$.metadata.nested", "type"),
        ({"metadata": {"list": [1]}}, "$.metadata.list", "type"),
        ({"metadata": {"": 1}}, "$.metadata", "minLength"),
        ({"metadata": {f"k{i}": i for i in range(201)}}, "$.metadata", "maxProperties"),
        ({"extra": 1}, "$", "additionalProperties"),
    ],
)
def test_each_broken_rule_is_named_with_its_path(change, path, validator):
    with pytest.raises(InvalidCallError) as caught:
        validate_track({**VALID, **change})  # type: ignore[typeddict-item]

    assert (caught.value.path, caught.value.validator) == (path, validator)


def test_a_missing_key_is_named():
    event = {k: v for k, v in VALID.items() if k != "metadata"}

    with pytest.raises(InvalidCallError) as caught:
        validate_track(event)  # type: ignore[arg-type]

    assert (caught.value.path, caught.value.validator) == ("$", "required")


def test_message_names_the_rule_not_the_value():
    with pytest.raises(InvalidCallError) as caught:
        validate_track({**VALID, "metadata": {"card": {"number": "4242424242424242"}}})  # type: ignore[typeddict-item]

    assert "4242" not in caught.value.message


def test_validator_and_predicate_are_built_once():
    assert get_validator(TRACK_SCHEMA) is get_validator(TRACK_SCHEMA)
    assert get_check(TRACK_SCHEMA) is get_check(TRACK_SCHEMA)
    assert get_check(TRACK_SCHEMA) is not None


def test_the_predicate_refuses_keywords_it_does_not_implement():
    with pytest.raises(UnsupportedSchemaError):
        compile_check({"type": "object", "patternProperties": {"^x": {}}})


def test_valid_events_never_import_jsonschema_on_the_fast_path(monkeypatch):
    validate_track(VALID)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # any import now fails

    validate_track(VALID)  # type: ignore[arg-type]


# --- equivalence with jsonschema over arbitrary event-like objects --------------------------------

TEXT = st.one_of(
    st.text(max_size=4),
    st.sampled_from(["", " ", "\t\n", "\u00a0", "\u2003x", "\x1c", "u1", "invoice_paid"]),
    st.builds(lambda n, c: c * n, st.sampled_from([0, 1, 254, 255, 256]), st.sampled_from("x ")),
)
JSON_NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True))
ODD_NUMBERS = st.sampled_from([Decimal("1.5"), Fraction(1, 3), 1j])


def values(json_only: bool) -> st.SearchStrategy[Any]:
    numbers = JSON_NUMBERS if json_only else st.one_of(JSON_NUMBERS, ODD_NUMBERS)
    leaves = st.one_of(st.none(), st.booleans(), numbers, TEXT)

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        containers = [st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)]
        return st.one_of(*containers, *([] if json_only else [st.tuples(inner)]))

    return st.recursive(leaves, extend, max_leaves=6)


def keys(json_only: bool) -> st.SearchStrategy[Any]:
    return TEXT if json_only else st.one_of(TEXT, st.sampled_from([1, True, None, ("t",)]))


@st.composite
def metadata(draw: st.DrawFn, json_only: bool) -> Any:
    size = draw(st.sampled_from([0, 1, 3, 199, 200, 201]))
    value = draw(st.one_of(st.none(), st.booleans(), JSON_NUMBERS, TEXT))
    base: dict[Any, Any] = {f"k{i}": value for i in range(size)}
    base.update(draw(st.dictionaries(keys(json_only), values(json_only), max_size=3)))
    return base if draw(st.booleans()) else draw(values(json_only))


@st.composite
def events(draw: st.DrawFn, json_only: bool = False) -> Any:
    """Mostly Track-shaped objects, with every kind of deviation; ``json_only`` keeps to what
    json.loads can produce."""
    event: dict[Any, Any] = {}
    for key in ("user_id", "event_name", "metadata"):
        if draw(st.integers(0, 9)):  # mostly present
            strategy = metadata(json_only) if key == "metadata" else values(json_only)
            event[key] = draw(st.one_of(TEXT, strategy))
    if draw(st.integers(0, 9)) == 0:
        event[draw(keys(json_only))] = draw(values(json_only))
    return event if draw(st.integers(0, 19)) else draw(values(json_only))


@settings(max_examples=500, deadline=None)
@given(events())
@example(VALID)
@example({"user_id": "\x1c", "event_name": "e", "metadata": {}})
@example({"user_id": "u", "event_name": "e", "metadata": {"": 1}})
@example({"user_id": "u", "event_name": "e", "metadata": {1: 1}})
@example({"user_id": "u", "event_name": "e", "metadata": {"k": Decimal(1)}})
@example({"user_id": "u", "event_name": "e", "metadata": {"k": float("nan")}})
def test_the_predicate_agrees_with_jsonschema(event):
    assert is_valid_track(event) is get_validator(TRACK_SCHEMA).is_valid(event)


@settings(max_examples=200, deadline=None)
@given(events(json_only=True))
def test_validate_track_raises_exactly_for_invalid_events(event):
    valid = get_validator(TRACK_SCHEMA).is_valid(event)
    try:
        validate_track(event)
    except InvalidCallError:
        assert not valid
    else:
        assert valid


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer"},
        {"type": ["array", "null"]},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        {"type": "object", "minProperties": 1, "additionalProperties": {"type": "number"}},
        {"minLength": 2},
        True,
        False,
        {},
    ],
)
def test_other_schemas_compile_to_the_same_verdicts(schema):
    from jsonschema import Draft202012Validator

    check, validator = compile_check(schema), Draft202012Validator(schema)
    samples = [None, 1, 1.0, 1.5, True, "a", "ab", [], {}, {"a": "x"}, {"a": 1}, {"b": 2.5}]

    assert [check(s) for s in samples] == [validator.is_valid(s) for s in samples]


def test_the_schema_file_is_the_contract():
    assert load_schema(TRACK_SCHEMA)["properties"]["metadata"]["maxProperties"] == 200
