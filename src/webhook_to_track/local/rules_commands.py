"""``webhook-to-track rules check | try | events``: check source files before deploying, see what
a payload maps to (and why a rule did not match), and list every event name the rules emit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path as FsPath
from typing import Any

from webhook_to_track.delivery import parse_body
from webhook_to_track.errors import MalformedBodyError
from webhook_to_track.local.events import is_sample_payload, sample_headers
from webhook_to_track.registry import Registry, Source, compile_source, source_files
from webhook_to_track.rules import Problems, event_names
from webhook_to_track.rules.compiler import label_rules
from webhook_to_track.rules.coverage import Sample, unread_paths
from webhook_to_track.rules.match import compile_pattern
from webhook_to_track.rules.paths import MISSING, PathError, parse_path, request_headers
from webhook_to_track.sources.check import check_source_document


def _documents(sources_dir: FsPath | None) -> list[tuple[str, Any]]:
    """(source name, parsed document or the JSON error text) for every source file."""
    documents: list[tuple[str, Any]] = []
    for file_name, text in source_files(sources_dir):
        try:
            documents.append((file_name.removesuffix(".json"), json.loads(text)))
        except ValueError as exc:
            documents.append((file_name.removesuffix(".json"), f"not valid JSON: {exc}"))
    return documents


SAMPLE_DIRS = (FsPath("events") / "payloads", FsPath("tests") / "fixtures")
"""Where a source's sample payloads are, from the repository root: events/payloads/<source>/*
and tests/fixtures/<source>/*.input.*"""


def sample_files(name: str, sample_dirs: Sequence[FsPath] = SAMPLE_DIRS) -> list[FsPath]:
    """Every sample payload file of source ``name`` (headers sidecars and golden files aside)."""
    payloads, fixtures = sample_dirs
    found = sorted(p for p in (payloads / name).glob("*") if is_sample_payload(p))
    found += sorted(p for p in (fixtures / name).glob("*.input.*") if is_sample_payload(p))
    return found


def _samples(source: Source, sample_dirs: Sequence[FsPath]) -> list[Sample]:
    """The source's samples as its rules see them; a sample that does not parse is left out
    (the golden tests report it)."""
    samples = []
    for file in sample_files(source.name, sample_dirs):
        try:
            payload = parse_body(file.read_bytes(), source.preset.body_format)
            samples.append(Sample(payload, sample_headers(file)))
        except (MalformedBodyError, ValueError):
            continue
    return samples


def path_warnings(
    name: str, document: Any, sample_dirs: Sequence[FsPath] = SAMPLE_DIRS
) -> list[str]:
    """A warning line per value path of a clean source document that none of the samples its
    rule matches has a value at (nothing when the source has no samples)."""
    source = compile_source(name, document, f"{name}.json", Problems(f"{name}.json"))
    samples = _samples(source, sample_dirs) if source is not None else []
    if source is None or not samples:
        return []
    lines = Problems(f"{name}.json")
    label_rules(document, lines)
    for unread in unread_paths(source.rules, samples):
        lines.add(unread.where, unread.message())
    return lines.items


def check(sources_dir: FsPath | None, sample_dirs: Sequence[FsPath] = SAMPLE_DIRS) -> int:
    """Print every problem of every source file, then a warning per value path that no sample
    has; 0 when all would load (warnings do not fail the check)."""
    documents = _documents(sources_dir)
    problems: list[str] = []
    warnings: list[str] = []
    for name, document in documents:
        if isinstance(document, str):
            problems.append(f"{name}.json: /: {document}")
            continue
        found = check_source_document(name, document)
        problems.extend(found)
        if not found:
            warnings.extend(path_warnings(name, document, sample_dirs))
    for line in [*problems, *warnings]:
        print(line)
    noted = f", {len(warnings)} warning(s)" if warnings else ""
    if problems:
        print(f"{len(problems)} problem(s){noted} in {len(documents)} source file(s)")
        return 1
    rules = sum(len(d.get("rules", [])) for _, d in documents if isinstance(d, dict))
    print(f"ok: {len(documents)} source files, {rules} rules{noted}")
    return 0


def _value_text(value: Any) -> str:
    return "missing" if value is MISSING else json.dumps(value, ensure_ascii=False)[:80]


def _why_not(rule: dict[str, Any], payload: Any, headers: Mapping[str, str]) -> list[str]:
    """The match keys of ``rule`` that this payload (and these headers) fail, with the value
    found there."""
    with request_headers(headers):
        return _failed_keys(rule, payload)


def _failed_keys(rule: dict[str, Any], payload: Any) -> list[str]:
    reasons: list[str] = []
    for key, alternatives in (rule.get("match") or {}).items():
        single = compile_pattern({key: alternatives}, "", Problems("-"))
        if single.test(payload, payload):
            continue
        if key == "$or":
            reasons.append("none of the $or branches matches")
            continue
        try:
            value = parse_path(key).get(payload)
        except PathError:
            value = MISSING
        wanted = json.dumps(alternatives, ensure_ascii=False)
        reasons.append(f"{key} is {_value_text(value)}, wanted {wanted}")
    return reasons


def _print_unmatched(document: dict[str, Any], payload: Any, headers: Mapping[str, str]) -> None:
    print("No rule matched this payload:")
    for rule in document.get("rules", []):
        if rule.get("enabled", True) is False:
            print(f"  {rule.get('id')}: disabled")
            continue
        reasons = _why_not(rule, payload, headers) or ["matches; its events' when filtered all"]
        print(f"  {rule.get('id')}: " + "; ".join(reasons))


def try_payload(
    registry: Registry,
    sources_dir: FsPath | None,
    name: str,
    file: FsPath,
    headers: Mapping[str, str] | None = None,
) -> int:
    """Print the events a payload file yields for source ``name`` (with the sample's sidecar
    headers, then ``headers``), or why nothing matched."""
    source = registry.get(name)
    try:
        payload = parse_body(file.read_bytes(), source.preset.body_format)
    except MalformedBodyError as exc:
        print(f"{file}: {exc} (source {name} sends {source.preset.body_format})")
        return 1
    seen = {**sample_headers(file), **{k.lower(): v for k, v in (headers or {}).items()}}
    result = source.rules.map(payload, delivery_id="rules-try", headers=seen)
    for item in result.calls:
        print(f"# rule {item.rule}, event {item.index}")
        print(json.dumps(item.call.body, indent=2, ensure_ascii=False))
    for rejection in result.rejected:
        print(f"# rejected: {json.dumps(rejection.to_dict(), ensure_ascii=False)}")
    for dropped in result.dropped:
        print(f"# metadata dropped: {json.dumps(dropped.to_dict(), ensure_ascii=False)}")
    if not result.matched:
        document = dict(_documents(sources_dir))[name]
        _print_unmatched(document, payload, seen)
    elif not result.calls and not result.rejected:
        print(f"Rules {', '.join(result.matched)} matched, but every event's when filtered it out.")
    return 0


def list_events(sources_dir: FsPath | None, names: Iterable[str] = ()) -> int:
    """Print every event name each source can emit; 1 when a name cannot be listed."""
    wanted = set(names)
    problems: list[str] = []
    total = 0
    for name, document in _documents(sources_dir):
        if (wanted and name not in wanted) or isinstance(document, str):
            continue
        listed, unlisted = event_names(document, f"{name}.json")
        for event_name in listed:
            print(f"{name}\t{event_name}")
        total += len(listed)
        problems.extend(unlisted)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} event name(s) cannot be listed: they come from free payload text")
        return 1
    print(f"{total} event names (Userpilot allows 10,000 distinct names per app)")
    return 0
