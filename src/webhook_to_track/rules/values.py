"""Value specs: where a field's value comes from (literal, path with fallbacks, strict template),
then its transform chain, default and ``required`` flag. Compiled once into one closure.

A compiled value returns the value, MISSING (nothing there) or a :class:`Failure` (a transform
could not apply). ``default`` replaces MISSING, null and a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from webhook_to_track.rules.paths import MISSING, Path, PathError, Reader, parse_path
from webhook_to_track.rules.problems import Problems, did_you_mean, pointer
from webhook_to_track.rules.transforms import FAILED, Transform, compile_chain, text_of

SOURCES: Final = ("path", "template", "literal")
MODIFIERS: Final = ("transform", "default", "required", "description")
MAX_FALLBACKS: Final = 10
MAX_TEMPLATE: Final = 500
MAX_PLACEHOLDERS: Final = 20
_PLACEHOLDER: Final = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")

Role = Literal["metadata", "user_id", "event_name", "added"]
"""Where a value spec sits: metadata values may be ``required``; user_id and event_name always
are; the normaliser's added fields (occurred_at, source_event_id) may name their ``key``."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A value that a transform could not produce; ``reason`` names the transform, never the
    payload value."""

    reason: str


def is_blank(value: Any) -> bool:
    """What a fallback list skips: missing, null or the empty string (0 and false are values)."""
    return value is MISSING or value is None or value == ""


def is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


@dataclass(frozen=True, slots=True)
class ValueSpec:
    """A compiled value spec. ``get(root, item)`` evaluates it; the other fields describe it for
    problem reports (``paths`` tried), scope checks and event-name enumeration."""

    get: Reader
    paths: tuple[str, ...] = ()
    reads_item: bool = False
    required: bool = False
    kind: Literal["literal", "path", "template"] = "literal"
    constant: Any = None
    sources: tuple[Path, ...] = ()
    pieces: tuple[str, ...] = ()
    """template text around the placeholders: len(pieces) == len(sources) + 1"""
    chain: tuple[Transform, ...] = ()
    default: Any = MISSING


def _constant(value: Any) -> Reader:
    return lambda root, item: value


def _check_scope(path: Path, item_scope: bool, where: str, problems: Problems) -> None:
    if path.item and not item_scope:
        problems.add(where, f"{path.text!r} reads the for_each item, but there is no for_each here")


def _render_reader(pieces: tuple[str, ...], readers: tuple[Reader, ...]) -> Reader:
    """Strict rendering: a missing, null or non-primitive placeholder makes the value missing."""
    if len(readers) == 1:
        (read,) = readers
        head, tail = pieces

        def render_one(root: Any, item: Any) -> Any:
            value = read(root, item)
            text = None if value is None else text_of(value)
            return MISSING if text is None else head + text + tail

        return render_one

    def render(root: Any, item: Any) -> Any:
        parts = [pieces[0]]
        for read, piece in zip(readers, pieces[1:], strict=True):
            value = read(root, item)
            text = None if value is None else text_of(value)
            if text is None:
                return MISSING
            parts.append(text)
            parts.append(piece)
        return "".join(parts)

    return render


def _compile_template(
    text: Any, where: str, item_scope: bool, problems: Problems
) -> ValueSpec | None:
    if not isinstance(text, str) or not text:
        problems.add(where, "template must be a non-empty string")
        return None
    if len(text) > MAX_TEMPLATE:
        problems.add(where, f"template is longer than {MAX_TEMPLATE} characters")
        return None
    pieces: list[str] = []
    paths: list[Path] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        pieces.append(text[position : match.start()])
        try:
            paths.append(parse_path(match.group(1)))
        except PathError as exc:
            problems.add(where, f"placeholder {match.group(0)!r}: {exc}")
            return None
        _check_scope(paths[-1], item_scope, where, problems)
        position = match.end()
    pieces.append(text[position:])
    if any("{{" in piece or "}}" in piece for piece in pieces):
        problems.add(where, "unbalanced {{ }} in template")
        return None
    if not paths:
        problems.add(where, "template has no {{placeholder}}; use a plain string")
        return None
    if len(paths) > MAX_PLACEHOLDERS:
        problems.add(where, f"at most {MAX_PLACEHOLDERS} placeholders per template")
        return None
    return ValueSpec(
        get=_render_reader(tuple(pieces), tuple(p.read for p in paths)),
        paths=tuple(p.text for p in paths),
        reads_item=any(p.item for p in paths),
        kind="template",
        sources=tuple(paths),
        pieces=tuple(pieces),
    )


def _coalesce(readers: tuple[Reader, ...]) -> Reader:
    def get(root: Any, item: Any) -> Any:
        for read in readers:
            value = read(root, item)
            if value is not MISSING and value is not None and value != "":
                return value
        return MISSING

    return get


def _compile_paths(spec: Any, where: str, item_scope: bool, problems: Problems) -> ValueSpec | None:
    texts = spec if isinstance(spec, list) else [spec]
    if not texts or len(texts) > MAX_FALLBACKS:
        problems.add(where, f"path takes a string or a list of 1 to {MAX_FALLBACKS} fallbacks")
        return None
    compiled: list[Path] = []
    for i, text in enumerate(texts):
        here = pointer(where, i) if isinstance(spec, list) else where
        try:
            compiled.append(parse_path(text))
        except PathError as exc:
            problems.add(here, str(exc))
            continue
        _check_scope(compiled[-1], item_scope, here, problems)
    if len(compiled) != len(texts):
        return None
    readers = tuple(p.read for p in compiled)
    return ValueSpec(
        # A list is a coalesce (missing, null and "" skipped) whatever its length; a plain
        # string reads the value as it is.
        get=_coalesce(readers) if isinstance(spec, list) else readers[0],
        paths=tuple(p.text for p in compiled),
        reads_item=any(p.item for p in compiled),
        kind="path",
        sources=tuple(compiled),
    )


def _failure_for(step: Transform, index: int) -> Failure:
    return Failure(f"transform {index} ({step.name!r}) could not apply to the value")


def _chained(read: Reader, chain: tuple[Transform, ...]) -> Reader:
    steps = tuple((t.apply, _failure_for(t, i)) for i, t in enumerate(chain))
    if len(steps) == 1:
        ((apply, failure),) = steps

        def get_one(root: Any, item: Any) -> Any:
            value = read(root, item)
            if value is MISSING or value is None:
                return value
            value = apply(value, root, item)
            return failure if value is FAILED else value

        return get_one

    def get(root: Any, item: Any) -> Any:
        value = read(root, item)
        for apply, failure in steps:
            if value is MISSING or value is None:
                return value
            value = apply(value, root, item)
            if value is FAILED:
                return failure
        return value

    return get


def _defaulted(read: Reader, default: Any) -> Reader:
    def get(root: Any, item: Any) -> Any:
        value = read(root, item)
        if value is MISSING or value is None or value.__class__ is Failure:
            return default
        return value

    return get


def _compile_source(
    spec: dict[str, Any], where: str, item_scope: bool, problems: Problems
) -> ValueSpec | None:
    sources = [s for s in SOURCES if s in spec]
    if len(sources) != 1:
        problems.add(where, "name exactly one of path, template or literal")
        return None
    if sources[0] == "path":
        return _compile_paths(spec["path"], pointer(where, "path"), item_scope, problems)
    if sources[0] == "template":
        return _compile_template(spec["template"], pointer(where, "template"), item_scope, problems)
    literal = spec["literal"]
    return ValueSpec(get=_constant(literal), constant=literal)


def _check_keys(spec: dict[str, Any], role: Role, where: str, problems: Problems) -> None:
    allowed = SOURCES + MODIFIERS + (("key",) if role == "added" else ())
    for key in spec:
        if key not in allowed:
            problems.add(pointer(where, key), f"unknown key {key!r}{did_you_mean(key, allowed)}")
    required = spec.get("required", False)
    if "required" in spec and role != "metadata":
        problems.add(
            pointer(where, "required"),
            f"{role} is always required; remove 'required'"
            if role != "added"
            else "an added field is optional by nature; remove 'required'",
        )
    elif not isinstance(required, bool):
        problems.add(pointer(where, "required"), "required is true or false")
    elif required and "default" in spec:
        problems.add(pointer(where, "required"), "a value with a default can never be missing")


def compile_value(
    spec: Any,
    where: str,
    problems: Problems,
    *,
    item_scope: bool = False,
    role: Role = "metadata",
) -> ValueSpec | None:
    """A value spec -> ValueSpec, or None after recording problems.

    A JSON primitive is a literal (a string is never a template); an object names exactly one
    source (path, template or literal) plus optional transform, default and required.
    ``item_scope`` allows ``@`` paths (inside a for_each, or in defaults).
    """
    if is_primitive(spec):
        if isinstance(spec, str) and "{{" in spec:
            problems.add(where, 'looks like a template; write {"template": "..."} explicitly')
            return None
        return ValueSpec(get=_constant(spec), constant=spec)
    if not isinstance(spec, dict):
        problems.add(where, "a value is a JSON primitive or an object with path/template/literal")
        return None
    _check_keys(spec, role, where, problems)
    base = _compile_source(spec, where, item_scope, problems)
    chain = compile_chain(spec.get("transform", []), pointer(where, "transform"), problems)
    for step in chain:
        for path in step.paths:
            _check_scope(path, item_scope, pointer(where, "transform"), problems)
    default = spec.get("default", MISSING)
    if default is not MISSING and not is_primitive(default):
        problems.add(pointer(where, "default"), "default must be a JSON primitive")
        default = MISSING
    if base is None:
        return None
    return _with_modifiers(base, chain, default, spec.get("required") is True)


def _with_modifiers(
    base: ValueSpec, chain: tuple[Transform, ...], default: Any, required: bool
) -> ValueSpec:
    read = base.get
    if chain:
        read = _chained(read, chain)
    if default is not MISSING:
        read = _defaulted(read, default)
    return ValueSpec(
        get=read,
        paths=base.paths,
        reads_item=base.reads_item or any(p.item for t in chain for p in t.paths),
        required=required,
        kind=base.kind,
        constant=base.constant,
        sources=base.sources,
        pieces=base.pieces,
        chain=chain,
        default=default,
    )
