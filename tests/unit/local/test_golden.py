"""Which rules the golden files cover, the note that names the others, and the folders a
removed source left behind."""

from __future__ import annotations

import json
from pathlib import Path

from webhook_to_track.local.golden import (
    golden_note,
    golden_rule_ids,
    leftover_folders,
    rules_without_golden,
)
from webhook_to_track.registry import load_registry


def two_rule_source(directory: Path) -> None:
    rules = [
        {"id": rule, "match": {"type": [rule]}, "events": [{"event_name": rule, "user_id": "u"}]}
        for rule in ("a.paid", "a.refunded")
    ]
    directory.mkdir()
    (directory / "a.json").write_text(
        json.dumps({"signature": {"preset": "stripe"}, "rules": rules})
    )


def golden(fixtures: Path, source: str, case: str, matched: list[str]) -> None:
    (fixtures / source).mkdir(parents=True, exist_ok=True)
    document = {"matched": matched, "events": [], "rejected": []}
    (fixtures / source / f"{case}.expected.json").write_text(json.dumps(document))


def test_a_rule_is_covered_once_a_golden_file_records_it_as_matched(tmp_path):
    two_rule_source(tmp_path / "sources")
    fixtures = tmp_path / "fixtures"
    registry = load_registry(tmp_path / "sources")

    assert rules_without_golden(registry, fixtures) == {"a": ["a.paid", "a.refunded"]}
    golden(fixtures, "a", "paid", ["a.paid"])
    golden(fixtures, "a", "other", [])
    assert golden_rule_ids(fixtures, "a") == {"a.paid"}
    assert rules_without_golden(registry, fixtures) == {"a": ["a.refunded"]}
    golden(fixtures, "a", "refunded", ["a.refunded"])
    assert rules_without_golden(registry, fixtures) == {}


def test_the_note_names_each_rule_and_how_to_write_its_golden_file(tmp_path):
    assert golden_note({}, tmp_path) == []

    lines = golden_note({"a": ["a.paid", "a.refunded"], "b": ["b.x"]}, tmp_path)

    assert lines[0].startswith("note: 3 rule(s) in 2 source(s) have no golden file in ")
    assert lines[1:3] == ["  a: a.paid, a.refunded", "  b: b.x"]
    assert "python -m tests.unit.rules.test_golden <source>" in lines[3]


def test_folders_of_a_removed_source_are_leftovers_and_shared_ones_are_not(tmp_path):
    events, fixtures = tmp_path / "events", tmp_path / "fixtures"
    for folder in (
        events / "payloads" / "kept",
        events / "payloads" / "gone",
        events / "kept",
        events / "gone",
        events / "forwarder",
        fixtures / "kept",
        fixtures / "gone",
        fixtures / "rules_broken",
    ):
        folder.mkdir(parents=True)
    (events / "local-secrets.json").write_text("{}")

    assert leftover_folders({"kept"}, events, fixtures) == sorted(
        [events / "payloads" / "gone", events / "gone", fixtures / "gone"]
    )
