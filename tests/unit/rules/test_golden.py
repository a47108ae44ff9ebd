"""Golden files: every sample payload and fixture maps to exactly the expected events.

The cases derive from the source files present: a sample of events/payloads/<source>/ is a case
once its golden file exists (``rules check`` notes the rules no golden file covers), and every
extra ``tests/fixtures/<source>/<case>.input.<ext>`` needs one. Write or regenerate them with
``python -m tests.unit.rules.test_golden [source...]`` and review every diff by hand: the values
must stay correct.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PAYLOADS
from webhook_to_track.delivery import parse_body
from webhook_to_track.local.events import is_sample_payload, sample_headers
from webhook_to_track.registry import Registry, load_registry
from webhook_to_track.userpilot.validation import validate_track

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DELIVERY_ID = "delivery-0001"
"""what the service passes as the delivery id (source_event_id falls back to it)"""


@cache
def shipped() -> Registry:
    return load_registry()


def inputs() -> list[tuple[str, str, Path, Path]]:
    """(source, case, input file, expected file) of every source file present: its sample
    payloads in events/payloads and its extra ``<case>.input.<ext>`` under
    tests/fixtures/<source>/ (form senders' raw bodies are .form files)."""
    found = {}
    for source in shipped().sources:
        for given in sorted((PAYLOADS / source).glob("*")):
            if is_sample_payload(given):
                found[(source, given.stem)] = given
        for given in sorted((FIXTURES / source).glob("*.input.*")):
            if is_sample_payload(given):
                found[(source, given.name.split(".input.")[0])] = given
    return [
        (source, name, given, FIXTURES / source / f"{name}.expected.json")
        for (source, name), given in sorted(found.items())
    ]


def cases() -> list[tuple[str, str, Path, Path]]:
    """The inputs with a golden file, and every fixture input (it exists for one)."""
    return [c for c in inputs() if c[3].exists() or c[2].is_relative_to(FIXTURES)]


def mapped(source: str, given: Path) -> dict[str, Any]:
    compiled = shipped().get(source)
    payload = parse_body(given.read_bytes(), compiled.preset.body_format)
    # Headers the sample sends besides its signature: <case>.headers.json (or
    # <case>.input.headers.json) next to the input.
    result = compiled.rules.map(payload, delivery_id=DELIVERY_ID, headers=sample_headers(given))
    outcome: dict[str, Any] = {
        "matched": list(result.matched),
        "events": [item.call.body for item in result.calls],
        "rejected": [rejection.to_dict() for rejection in result.rejected],
    }
    if result.dropped:
        outcome["dropped"] = [dropped.to_dict() for dropped in result.dropped]
    return outcome


@pytest.mark.parametrize(("source", "name", "given", "expected"), cases(), ids=lambda v: str(v))
def test_mapping_matches_the_golden_file(source, name, given, expected):
    assert expected.exists(), f"no golden file: run python -m tests.unit.rules.test_golden {source}"
    outcome = mapped(source, given)

    assert outcome == json.loads(expected.read_text("utf-8"))
    for event in outcome["events"]:
        validate_track(event)


def test_every_golden_file_has_an_input():
    expected = {p for _, _, _, p in cases()}

    for source in shipped().sources:
        assert set((FIXTURES / source).glob("*.expected.json")) <= expected


def regenerate(sources: list[str]) -> None:
    """Write the expected files of these sources (all when empty), the missing ones
    included; review every diff."""
    unknown = sorted(set(sources) - set(shipped().sources))
    if unknown:
        raise SystemExit(f"no source file for: {', '.join(unknown)}")
    for source, _, given, expected in inputs():
        if sources and source not in sources:
            continue
        text = json.dumps(mapped(source, given), indent=2, ensure_ascii=False) + "\n"
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(text, "utf-8")
        print(f"wrote {expected.relative_to(FIXTURES)}", file=sys.stderr)


if __name__ == "__main__":
    regenerate(sys.argv[1:])
