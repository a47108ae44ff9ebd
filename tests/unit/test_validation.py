"""The Track JSON Schema: primitives-only metadata, non-empty ids, one compiled validator."""

from __future__ import annotations

import pytest

from webhook_to_track.errors import InvalidTrackEventError
from webhook_to_track.validation import get_validator, validate_track

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
        ({"event_name": ""}, "$.event_name", "minLength"),
        ({"metadata": {"nested": {"a": 1}}}, "$.metadata.nested", "type"),
        ({"metadata": {"list": [1]}}, "$.metadata.list", "type"),
        ({"metadata": {f"k{i}": i for i in range(201)}}, "$.metadata", "maxProperties"),
        ({"extra": 1}, "$", "additionalProperties"),
    ],
)
def test_each_broken_rule_is_named_with_its_path(change, path, validator):
    with pytest.raises(InvalidTrackEventError) as caught:
        validate_track({**VALID, **change})  # type: ignore[typeddict-item]

    assert (caught.value.path, caught.value.validator) == (path, validator)


def test_message_names_the_rule_not_the_value():
    with pytest.raises(InvalidTrackEventError) as caught:
        validate_track({**VALID, "metadata": {"card": {"number": "4242424242424242"}}})  # type: ignore[typeddict-item]

    assert "4242" not in caught.value.message


def test_validator_is_built_once():
    assert get_validator("track.schema.json") is get_validator("track.schema.json")
