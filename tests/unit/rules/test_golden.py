"""Golden files: every sample payload and fixture maps to exactly the expected events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import PAYLOADS
from webhook_to_track.registry import load_registry
from webhook_to_track.validation import validate_track

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def cases() -> list[tuple[str, str, Path, Path]]:
    found = []
    for expected in sorted(FIXTURES.glob("*/*.expected.json")):
        source = expected.parent.name
        name = expected.name.removesuffix(".expected.json")
        given = expected.with_name(f"{name}.input.json")
        if not given.exists():
            given = PAYLOADS / source / f"{name}.json"
        found.append((source, name, given, expected))
    return found


@pytest.mark.parametrize(("source", "name", "given", "expected"), cases(), ids=lambda v: str(v))
def test_mapping_matches_the_golden_file(source, name, given, expected):
    result = load_registry().get(source).rules.map(json.loads(given.read_bytes()))

    assert {
        "matched": list(result.matched),
        "events": [item.event for item in result.events],
        "rejected": [rejection.to_dict() for rejection in result.rejected],
    } == json.loads(expected.read_text("utf-8"))
    for item in result.events:
        validate_track(item.event)


def test_every_sample_payload_has_a_golden_file():
    names = {(source, name) for source, name, _, _ in cases()}
    samples = {(p.parent.name, p.name.removesuffix(".json")) for p in PAYLOADS.glob("*/*.json")}

    assert samples <= names
