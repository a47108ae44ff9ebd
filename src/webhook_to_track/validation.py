"""Validate track events against the Track JSON Schema with validators compiled once."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from webhook_to_track.errors import InvalidTrackEventError
from webhook_to_track.models import TrackEvent


def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in the package's schemas/ folder."""
    text = resources.files("webhook_to_track.schemas").joinpath(name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=8)
def get_validator(name: str) -> Draft202012Validator:
    """Build (and check) each schema's validator once per cold start."""
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_track(event: TrackEvent) -> None:
    """Raise InvalidTrackEventError, carrying the JSON path and failing keyword, if the event
    is not a valid Userpilot track body."""
    validator = get_validator("track.schema.json")
    if validator.is_valid(event):  # the fast path: no error objects built
        return
    error = best_match(validator.iter_errors(event))
    # Name the rule broken, not the value: values are payload data and must not reach logs.
    expected = json.dumps(error.validator_value, separators=(",", ":"))
    raise InvalidTrackEventError(
        f"{error.json_path} breaks {error.validator}={expected}",
        path=error.json_path,
        validator=str(error.validator),
    )
