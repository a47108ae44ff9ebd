"""Check a source document the way CI and a ``rules check`` command should: the compiler's
problems (authoritative, with did-you-mean) plus the editor JSON Schema's, without repeats."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from webhook_to_track.registry import compile_source
from webhook_to_track.rules.compiler import label_rules
from webhook_to_track.rules.problems import Problems, pointer

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SOURCE_SCHEMA: Final = "source.schema.json"


@lru_cache(maxsize=1)
def source_schema_validator() -> Draft202012Validator:
    """The editor schema of source files (sources/source.schema.json), checked, built once."""
    from jsonschema import Draft202012Validator

    text = resources.files("webhook_to_track.sources").joinpath(SOURCE_SCHEMA).read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def compile_problems(name: str, document: Any) -> Problems:
    """Every problem the source compiler (signature, delivery id, rules) finds."""
    problems = Problems(f"{name}.json")
    compile_source(name, document, problems.file, problems)
    return problems


def _deepest(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf failures, the sub-error that explains most: leave out the branches whose
    type the value does not have, then take the deepest error, and repeat."""
    from jsonschema.exceptions import best_match

    while error.context:
        wrong_type = {
            e.relative_schema_path[0]
            for e in error.context
            if e.validator == "type" and not e.relative_path
        }
        fitting = [e for e in error.context if e.relative_schema_path[0] not in wrong_type]
        if fitting:
            error = max(fitting, key=lambda e: len(e.absolute_path))
        else:  # every branch wants another type: jsonschema's own pick
            error = best_match(error.context)
    return error


def schema_problems(name: str, document: Any) -> Problems:
    """Every place the document breaks the editor JSON Schema, each with its JSON pointer."""
    problems = Problems(f"{name}.json")
    label_rules(document, problems)
    errors = source_schema_validator().iter_errors(document)
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        deepest = _deepest(error)
        where = pointer("", *deepest.absolute_path) if deepest.absolute_path else "/"
        problems.add(where, f"{deepest.message} (JSON Schema)")
    return problems


def _related(a: str, b: str) -> bool:
    """Whether two pointers are the same place or one contains the other (the root only
    relates to itself: a root-level problem says nothing about the rest)."""
    if a == b:
        return True
    if "/" in (a, b):
        return False
    return a.startswith(b + "/") or b.startswith(a + "/")


def check_source_document(name: str, document: Any) -> list[str]:
    """All problems of a source document, as ``<name>.json: <pointer>: <message>`` lines
    (``<name>.json: rule "<id>" (<pointer>): <message>`` inside a rule).

    The compiler's problems come first, in document order; then the JSON Schema's, except
    where the compiler already reported the same place, a place inside it, or one around it.
    Schema lines end with "(JSON Schema)". An empty list means the function would load it.
    """
    compiled = compile_problems(name, document)
    schema = schema_problems(name, document)
    extra = [
        line
        for line, where in zip(schema.items, schema.pointers, strict=True)
        if not any(_related(where, seen) for seen in compiled.pointers)
    ]
    return [*compiled.items, *dict.fromkeys(extra)]
