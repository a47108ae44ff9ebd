"""Metadata and template paths that no sample payload has: a misspelt path maps to nothing,
silently, so ``rules check`` warns about each one, with the closest path the samples have.

A value is judged only against the samples its rule matches (inside a for_each, against
their items that pass the event's ``when``); a value no matched sample reaches is not judged.
A value with fallbacks is found when any of them is; a value with a default may be missing by
design, and header paths are not judged (samples carry only some of their headers).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from webhook_to_track.rules.engine import MAX_ITEMS, EventSpec, Read, RuleSet
from webhook_to_track.rules.paths import MISSING, Path, request_headers

_PLAIN_KEY: Final = re.compile(r"[^.\[\]'\"\s]+")

Scope = tuple[Any, Any]
"""(root payload, current item): what a path reads; outside for_each the item is the root."""


@dataclass(frozen=True, slots=True)
class Sample:
    """A sample payload as the rules see it, with the headers its sample file sends."""

    payload: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UnreadPath:
    """A value none of whose paths has a value in the ``checked`` samples its rule maps."""

    where: str
    paths: tuple[str, ...]
    checked: int
    """how many samples the rule mapped it over (over their for_each items, if any)"""
    suggestion: str = ""
    """a path close to one of them that some checked scope has, or "" """

    def message(self) -> str:
        if len(self.paths) == 1:
            what = f"{self.paths[0]!r} has no value"
        else:
            what = f"none of {', '.join(map(repr, self.paths))} has a value"
        samples = "sample" if self.checked == 1 else "samples"
        mapper = "this rule maps" if self.where.startswith("/rules/") else "the rules map"
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"warning: {what} in the {self.checked} {samples} {mapper}{hint}"


def _scopes(spec: EventSpec, root: Any) -> list[Scope]:
    """The (root, item) pairs this event maps for one payload: where its paths are read."""
    when = spec.when
    if spec.for_each is None:
        return [(root, root)] if when is None or when.test(root, root) else []
    items = spec.for_each(root, root)
    if not isinstance(items, list):
        return []
    return [(root, item) for item in items[:MAX_ITEMS] if when is None or when.test(root, item)]


def _visits(ruleset: RuleSet, sample: Sample) -> Iterator[tuple[Read, list[Scope]]]:
    """(read, the scopes it is read in) for every value of every event this sample fires."""
    root = sample.payload
    with request_headers(sample.headers):
        fired = [s for rule in ruleset.rules if rule.match.test(root, root) for s in rule.events]
        scoped = [(spec, _scopes(spec, root)) for spec in fired]
    for spec, scopes in scoped:
        for read in spec.reads:
            yield read, scopes
        for read in spec.defaults.reads:
            item_default = any(path.item for path in read.paths)
            if not item_default or spec.for_each is not None:  # else not inherited
                yield read, scopes


@dataclass(slots=True)
class _Seen:
    """Per value: the scopes it was read in, in how many samples, and whether any had a value."""

    read: Read
    scopes: list[Scope] = field(default_factory=list)
    samples: int = 0
    found: bool = False

    def visit(self, scopes: Sequence[Scope]) -> None:
        self.scopes.extend(scopes)
        self.samples += 1
        if not self.found:
            readers = [path.read for path in self.read.paths]
            self.found = any(
                read(root, item) is not MISSING for root, item in scopes for read in readers
            )


def unread_paths(ruleset: RuleSet, samples: Sequence[Sample]) -> list[UnreadPath]:
    """Every value of ``ruleset`` that reads the payload and has no value in any scope it was
    read in, once per place, in the order first met."""
    seen: dict[str, _Seen] = {}
    for sample in samples:
        here: dict[str, tuple[Read, list[Scope]]] = {}  # defaults are read by several events
        for read, scopes in _visits(ruleset, sample):
            if scopes:
                here.setdefault(read.where, (read, []))[1].extend(scopes)
        for where, (read, scopes) in here.items():
            seen.setdefault(where, _Seen(read)).visit(scopes)
    return [
        UnreadPath(
            s.read.where,
            tuple(path.text for path in s.read.paths),
            s.samples,
            _suggestion(s.read.paths, s.scopes),
        )
        for s in seen.values()
        if not s.found
    ]


def _suggestion(paths: Sequence[Path], scopes: Sequence[Scope]) -> str:
    """A path some scope has a value at, one key changed where one of ``paths`` leaves the
    data, to a key close to the one written; "" when no key is close."""
    for path in paths:
        changes: dict[str, dict[str, tuple[str | int, ...]]] = {}
        for root, item in scopes:
            for depth, other in _neighbours(path.keys, item if path.item else root):
                keys = (*path.keys[:depth], other, *path.keys[depth + 1 :])
                changes.setdefault(str(path.keys[depth]), {}).setdefault(other, keys)
        for written, others in changes.items():
            close = difflib.get_close_matches(written, list(others), n=1, cutoff=0.6)
            if close:
                return _text(others[close[0]], path)
    return ""


def _neighbours(keys: tuple[str | int, ...], value: Any) -> Iterator[tuple[int, str]]:
    """(depth, key) for each key present where ``keys`` first leads nowhere, when the rest of
    the path then leads to a value."""
    for depth, key in enumerate(keys):
        below = Path(text="", keys=(key,)).get(value)
        if below is not MISSING:
            value = below
            continue
        if isinstance(value, dict):
            rest = Path(text="", keys=keys[depth + 1 :])
            for other, inside in value.items():
                if "'" not in other and rest.get(inside) is not MISSING:
                    yield depth, other
        return


def _text(keys: tuple[str | int, ...], like: Path) -> str:
    """Path text for ``keys``, rooted as ``like`` is (``@``, ``$`` or bare)."""
    root = "@" if like.item else "$" if like.text.startswith("$") else ""
    parts: list[str] = []
    for key in keys:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif _PLAIN_KEY.fullmatch(key):
            parts.append(f".{key}" if root or parts else key)
        else:
            parts.append(f"['{key}']")
    return root + "".join(parts)
