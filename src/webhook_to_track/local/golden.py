"""What the per-source folders say about the source files present: which rules no golden file
covers (tests/fixtures/<source>/<case>.expected.json), and which folders under events/ and
tests/fixtures/ are left from a source that no longer exists."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Final

from webhook_to_track.registry import Registry

FIXTURES_DIR: Final = "tests/fixtures"
EVENTS_DIR: Final = "events"
NOT_SOURCES: Final = frozenset({"payloads", "forwarder", "rules_broken"})
"""Folders beside the per-source ones: events/payloads, events/forwarder (the forwarder's
samples) and tests/fixtures/rules_broken (the broken-rules corpus)."""
GOLDEN_COMMAND: Final = "python -m tests.unit.rules.test_golden {source}"


def golden_rule_ids(fixtures_dir: Path, source: str) -> set[str]:
    """The rule ids the source's golden files record as matched."""
    found: set[str] = set()
    for expected in (fixtures_dir / source).glob("*.expected.json"):
        try:
            matched = json.loads(expected.read_text("utf-8")).get("matched", [])
        except (ValueError, AttributeError):
            continue  # the golden test itself reports a broken file
        found.update(rule for rule in matched if isinstance(rule, str))
    return found


def rules_without_golden(registry: Registry, fixtures_dir: Path) -> dict[str, list[str]]:
    """Source -> its rule ids that no golden file covers (sources fully covered left out)."""
    missing: dict[str, list[str]] = {}
    for name, source in sorted(registry.sources.items()):
        covered = golden_rule_ids(fixtures_dir, name)
        uncovered = [rule for rule in source.rules.rule_ids if rule not in covered]
        if uncovered:
            missing[name] = uncovered
    return missing


def golden_note(missing: Mapping[str, list[str]], fixtures_dir: Path) -> list[str]:
    """The lines ``rules check`` prints about rules without a golden file (none when all
    have one)."""
    if not missing:
        return []
    count = sum(len(rules) for rules in missing.values())
    lines = [
        f"note: {count} rule(s) in {len(missing)} source(s) have no golden file in"
        f" {fixtures_dir}/ (not a failure; `make test` checks the golden files that exist):"
    ]
    lines += [f"  {source}: {', '.join(rules)}" for source, rules in missing.items()]
    lines.append(
        f"  to add them: {GOLDEN_COMMAND.format(source='<source>')}, then review each"
        " <case>.expected.json"
    )
    return lines


def print_golden_note(registry: Registry, fixtures_dir: Path) -> None:
    """Print the golden-file note on stderr (advice, beside the check's own output) when the
    project has a fixtures folder."""
    if fixtures_dir.is_dir():
        for line in golden_note(rules_without_golden(registry, fixtures_dir), fixtures_dir):
            print(line, file=sys.stderr)


def leftover_folders(sources: Collection[str], events_dir: Path, fixtures_dir: Path) -> list[Path]:
    """Per-source folders whose source file is gone: events/payloads/<x>, events/<x> and
    tests/fixtures/<x>."""
    parents = (events_dir / "payloads", events_dir, fixtures_dir)
    return sorted(
        folder
        for parent in parents
        if parent.is_dir()
        for folder in parent.iterdir()
        if folder.is_dir() and folder.name not in NOT_SOURCES and folder.name not in sources
    )


def source_folders(name: str, events_dir: Path, fixtures_dir: Path) -> list[Path]:
    """The folders that belong to source ``name`` (present or not)."""
    return [events_dir / "payloads" / name, events_dir / name, fixtures_dir / name]
