"""List every event name a rule set can emit, for a ``rules events`` command.

A literal name is listed as is. A name read from the payload is listed when it is limited to a
finite set: a placeholder or path that the rule's ``match`` or the event's ``when`` pins to exact
values, or a ``map`` table (its results and default). The transform chain and the ``default``
are applied to every candidate. Anything else (a template over free payload text) cannot be
listed and is reported with the pointer of its ``event_name``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, Final

from webhook_to_track.rules.compiler import compile_ruleset, rule_label
from webhook_to_track.rules.engine import EventSpec, RuleSet
from webhook_to_track.rules.normalise import event_name_problem
from webhook_to_track.rules.paths import MISSING, Path
from webhook_to_track.rules.problems import Problems, pointer
from webhook_to_track.rules.transforms import FAILED, text_of
from webhook_to_track.rules.values import ValueSpec

MAX_LISTED: Final = 1000
"""more possible names than this for one event counts as "cannot be listed"."""

Candidates = list[Any] | None
"""possible values, or None when unbounded"""


def _allowed(path: Path, constraints: tuple[tuple[Path, tuple[Any, ...]], ...]) -> Candidates:
    """The exact values match/when allow at ``path`` (intersected), or None."""
    found: list[Any] | None = None
    for constrained, values in constraints:
        if constrained.item == path.item and constrained.keys == path.keys:
            found = list(values) if found is None else [v for v in found if v in values]
    return found


def _from_source(value: ValueSpec, spec: EventSpec) -> tuple[Candidates, str]:
    if value.kind == "literal":
        return [value.constant], ""
    if value.kind == "path":
        found: list[Any] = []
        for path in value.sources:
            allowed = _allowed(path, spec.constraints)
            if allowed is None:
                return None, (
                    f"reads {path.text!r}, which neither match nor when limits to exact values;"
                    " add a map table or exact match values to list it"
                )
            found += allowed
        return found, ""
    sets: list[list[str]] = []
    for path in value.sources:
        allowed = _allowed(path, spec.constraints)
        if allowed is None:
            return None, (
                f"template placeholder {{{{{path.text}}}}} is free payload text (neither match nor"
                " when limits it to exact values)"
            )
        sets.append([t for t in (None if v is None else text_of(v) for v in allowed) if t])
    if _size(sets) > MAX_LISTED:
        return None, f"the template has more than {MAX_LISTED} possible names"
    pieces = value.pieces
    rendered = [
        "".join(p + t for p, t in zip(pieces, (*combo, ""), strict=True))
        for combo in itertools.product(*sets)
    ]
    return list(rendered), ""


def _size(sets: list[list[str]]) -> int:
    size = 1
    for values in sets:
        size *= len(values)
    return size


def _through_chain(value: ValueSpec, candidates: Candidates) -> tuple[Candidates, str]:
    for step in value.chain:
        if candidates is None:
            if step.outputs is not None:
                candidates = list(step.outputs)
            continue
        if step.paths:
            return None, f"transform {step.name!r} reads the payload"
        results = (step.apply(c, {}, {}) if c is not None else None for c in candidates)
        candidates = [r for r in results if r is not FAILED and r is not MISSING]
    return candidates, ""


def names_of(spec: EventSpec) -> tuple[list[str] | None, str]:
    """(every name this event can have, "") or (None, why they cannot be listed)."""
    value = spec.event_name
    candidates, reason = _from_source(value, spec)
    candidates, chain_reason = _through_chain(value, candidates)
    if candidates is None:
        return None, chain_reason or reason
    if value.default is not MISSING:
        candidates.append(value.default)
    names = [c for c in candidates if not event_name_problem(c)]
    if len(names) > MAX_LISTED:
        return None, f"more than {MAX_LISTED} possible names"
    return list(dict.fromkeys(names)), ""


def event_names(
    source: RuleSet | Mapping[str, Any], file: str = "rules.json"
) -> tuple[list[str], list[str]]:
    """Every event name a rule set (or a source document) can emit, in file order without
    repeats, and a problem line (``file: pointer: message``) for each event whose names cannot
    be listed. A document's compile problems are included. Disabled rules emit nothing."""
    if isinstance(source, RuleSet):
        ruleset, problems = source, Problems(source.file or file)
        for rule in ruleset.rules:  # a document's rules are labelled as it compiles
            for spec in rule.events:
                problems.label(spec.where.rsplit("/events/", 1)[0], rule_label(rule.id))
    else:
        problems = Problems(file)
        ruleset = compile_ruleset(source, problems)
    listed: dict[str, None] = {}
    for rule in ruleset.rules:
        for spec in rule.events:
            names, reason = names_of(spec)
            if names is None:
                problems.add(pointer(spec.where, "event_name"), f"cannot list its names: {reason}")
                continue
            listed.update(dict.fromkeys(names))
    return list(listed), problems.items
