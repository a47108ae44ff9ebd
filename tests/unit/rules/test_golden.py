"""Golden files: every sample payload and fixture maps to exactly the expected events.

Regenerate after a deliberate change with ``python -m tests.unit.rules.test_golden`` and review
every diff by hand: the values must stay correct.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PAYLOADS
from webhook_to_track.registry import load_registry
from webhook_to_track.validation import validate_track

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DELIVERY_ID = "delivery-0001"
"""what the service passes as the delivery id (source_event_id falls back to it)"""


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


def mapped(source: str, given: Path) -> dict[str, Any]:
    result = (
        load_registry()
        .get(source)
        .rules.map(json.loads(given.read_bytes()), delivery_id=DELIVERY_ID)
    )
    outcome: dict[str, Any] = {
        "matched": list(result.matched),
        "events": [item.event for item in result.events],
        "rejected": [rejection.to_dict() for rejection in result.rejected],
    }
    if result.dropped:
        outcome["dropped"] = [dropped.to_dict() for dropped in result.dropped]
    return outcome


@pytest.mark.parametrize(("source", "name", "given", "expected"), cases(), ids=lambda v: str(v))
def test_mapping_matches_the_golden_file(source, name, given, expected):
    outcome = mapped(source, given)

    assert outcome == json.loads(expected.read_text("utf-8"))
    for event in outcome["events"]:
        validate_track(event)


def test_every_sample_payload_has_a_golden_file():
    names = {(source, name) for source, name, _, _ in cases()}
    samples = {(p.parent.name, p.name.removesuffix(".json")) for p in PAYLOADS.glob("*/*.json")}

    assert samples <= names


def regenerate() -> None:
    for source, _, given, expected in cases():
        text = json.dumps(mapped(source, given), indent=2, ensure_ascii=False) + "\n"
        expected.write_text(text, "utf-8")
        print(f"wrote {expected.relative_to(FIXTURES)}", file=sys.stderr)


if __name__ == "__main__":
    regenerate()
