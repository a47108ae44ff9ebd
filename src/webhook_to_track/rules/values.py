"""Value specs: where a field's value comes from (literal, path with fallbacks, strict template),
then its transform chain and default. Compiled once into closures."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.rules.paths import MISSING, Path, PathError, parse_path
from webhook_to_track.rules.problems import Problems, did_you_mean, pointer
from webhook_to_track.rules.transforms import Transform, compile_chain

Getter = Callable[[Any], Any]
"""payload -> value or MISSING"""

SOURCES: Final = ("path", "template", "literal")
MODIFIERS: Final = ("transform", "default", "description")
MAX_FALLBACKS: Final = 10
MAX_TEMPLATE: Final = 500
_PLACEHOLDER: Final = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def is_blank(value: Any) -> bool:
    """What a fallback list skips: missing, null or the empty string (0 and false are values)."""
    return value is MISSING or value is None or value == ""


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


@dataclass(frozen=True, slots=True)
class ValueSpec:
    """A compiled value spec. ``paths`` lists what it reads, for problem reports."""

    get: Getter
    paths: tuple[str, ...]


def _render(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _compile_template(text: Any, where: str, problems: Problems) -> ValueSpec | None:
    if not isinstance(text, str) or not text:
        problems.add(where, "template must be a non-empty string")
        return None
    if len(text) > MAX_TEMPLATE:
        problems.add(where, f"template is longer than {MAX_TEMPLATE} characters")
        return None
    literals: list[str] = []
    paths: list[Path] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        literals.append(text[position : match.start()])
        try:
            paths.append(parse_path(match.group(1)))
        except PathError as exc:
            problems.add(where, f"placeholder {match.group(0)!r}: {exc}")
            return None
        position = match.end()
    tail = text[position:]
    if "{{" in tail or "}}" in tail or any("{{" in lit or "}}" in lit for lit in literals):
        problems.add(where, "unbalanced {{ }} in template")
        return None
    if not paths:
        problems.add(where, "template has no {{placeholder}}; use a plain string")
        return None

    def get(payload: Any) -> Any:
        # Strict: one missing or non-primitive placeholder makes the whole value missing.
        parts: list[str] = []
        for literal, path in zip(literals, paths, strict=True):
            rendered = _render(path.get(payload))
            if rendered is None:
                return MISSING
            parts.append(literal)
            parts.append(rendered)
        parts.append(tail)
        return "".join(parts)

    return ValueSpec(get=get, paths=tuple(p.text for p in paths))


def _compile_paths(spec: Any, where: str, problems: Problems) -> ValueSpec | None:
    texts = spec if isinstance(spec, list) else [spec]
    if not texts or len(texts) > MAX_FALLBACKS:
        problems.add(where, f"path takes a string or a list of 1 to {MAX_FALLBACKS} fallbacks")
        return None
    compiled: list[Path] = []
    for i, text in enumerate(texts):
        try:
            compiled.append(parse_path(text))
        except PathError as exc:
            problems.add(pointer(where, i) if isinstance(spec, list) else where, str(exc))
    if len(compiled) != len(texts):
        return None
    if len(compiled) == 1:
        return ValueSpec(get=compiled[0].get, paths=(compiled[0].text,))

    def get(payload: Any) -> Any:
        for path in compiled:
            value = path.get(payload)
            if not is_blank(value):
                return value
        return MISSING

    return ValueSpec(get=get, paths=tuple(p.text for p in compiled))


def _with_modifiers(base: ValueSpec, chain: tuple[Transform, ...], default: Any) -> ValueSpec:
    if not chain and default is MISSING:
        return base
    read = base.get

    def get(payload: Any) -> Any:
        value = read(payload)
        for transform in chain:
            if value is MISSING or value is None:
                break
            value = transform(value, payload)
        if (value is MISSING or value is None) and default is not MISSING:
            return default
        return value

    return ValueSpec(get=get, paths=base.paths)


def _compile_source(spec: dict[str, Any], where: str, problems: Problems) -> ValueSpec | None:
    sources = [s for s in SOURCES if s in spec]
    if len(sources) != 1:
        problems.add(where, "name exactly one of path, template or literal")
        return None
    if sources[0] == "path":
        return _compile_paths(spec["path"], pointer(where, "path"), problems)
    if sources[0] == "template":
        return _compile_template(spec["template"], pointer(where, "template"), problems)
    literal = spec["literal"]
    return ValueSpec(get=lambda _: literal, paths=())


def compile_value(spec: Any, where: str, problems: Problems) -> ValueSpec | None:
    """A value spec -> ValueSpec, or None after recording problems.

    A JSON primitive is a literal (a string is never a template); an object names exactly one
    source (path, template or literal) plus optional transform and default.
    """
    if _is_primitive(spec):
        if isinstance(spec, str) and "{{" in spec:
            problems.add(where, 'looks like a template; write {"template": "..."} explicitly')
            return None
        return ValueSpec(get=lambda _: spec, paths=())
    if not isinstance(spec, dict):
        problems.add(where, "a value is a JSON primitive or an object with path/template/literal")
        return None
    for key in spec:
        if key not in SOURCES and key not in MODIFIERS:
            problems.add(
                pointer(where, key), f"unknown key {key!r}{did_you_mean(key, SOURCES + MODIFIERS)}"
            )
    base = _compile_source(spec, where, problems)
    chain = compile_chain(spec.get("transform", []), pointer(where, "transform"), problems)
    default = spec.get("default", MISSING)
    if default is not MISSING and not _is_primitive(default):
        problems.add(pointer(where, "default"), "default must be a JSON primitive")
    if base is None:
        return None
    return _with_modifiers(base, chain, default)


def json_text(value: Any) -> str:
    """Compact JSON for values that cannot stay nested."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
