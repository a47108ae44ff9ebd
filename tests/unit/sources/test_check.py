"""Rule files that explain themselves: the compiler names each mistake of the broken-rules
corpus exactly; the editor JSON Schema accepts every shipped source file and rejects the corpus;
check_source_document merges both without repeats."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import VEHICLE_SOURCES
from webhook_to_track.rules.paths import MAX_DEPTH, PathError, parse_path
from webhook_to_track.sources.check import (
    check_source_document,
    compile_problems,
    schema_problems,
    source_schema_validator,
)

BROKEN = Path(__file__).resolve().parents[2] / "fixtures" / "rules_broken"
CORPUS = sorted(BROKEN.glob("*.json"))
SOURCES = resources.files("webhook_to_track.sources")
SHIPPED = sorted(
    p.name for p in SOURCES.iterdir() if p.name.endswith(".json") and ".schema." not in p.name
)
# JSON Schema cannot see across a document: these two mistakes are the compiler's alone.
COMPILER_ONLY = {
    "duplicate_rule_id": "uniqueness of a property across array items",
    "inherited_item_default_without_for_each": "a default's @ path against each event's for_each",
}


def load(path: Path) -> tuple[str, object, list[str]]:
    expected = path.with_suffix(".expected.txt").read_text("utf-8").splitlines()
    return path.stem, json.loads(path.read_text("utf-8")), expected


def test_the_corpus_covers_many_mistakes():
    assert len(CORPUS) >= 15
    assert all(p.with_suffix(".expected.txt").exists() for p in CORPUS)
    assert set(COMPILER_ONLY) <= {p.stem for p in CORPUS}


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_the_compiler_names_the_one_mistake_exactly(path):
    name, document, expected = load(path)

    assert compile_problems(name, document).items == expected
    assert len(expected) == 1


@pytest.mark.parametrize(
    "path", [p for p in CORPUS if p.stem not in COMPILER_ONLY], ids=lambda p: p.stem
)
def test_the_schema_rejects_the_broken_file_at_the_same_place(path):
    name, document, _ = load(path)
    (compiler_pointer,) = compile_problems(name, document).pointers

    problems = schema_problems(name, document)

    assert problems.items
    assert any(
        compiler_pointer == where
        or compiler_pointer.startswith(f"{where}/")
        or where.startswith(f"{compiler_pointer}/")
        for where in problems.pointers
    ), (compiler_pointer, problems.items)


@pytest.mark.parametrize("name", sorted(COMPILER_ONLY))
def test_what_the_schema_cannot_see_is_left_to_the_compiler(name):
    _, document, _ = load(BROKEN / f"{name}.json")

    assert schema_problems(name, document).items == []


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_check_reports_the_compiler_line_and_no_repeat_from_the_schema(path):
    name, document, expected = load(path)

    assert check_source_document(name, document) == expected


@pytest.mark.parametrize("file", SHIPPED)
def test_every_shipped_source_file_is_clean(file):
    document = json.loads(SOURCES.joinpath(file).read_text("utf-8"))

    assert schema_problems(file.removesuffix(".json"), document).items == []
    assert check_source_document(file.removesuffix(".json"), document) == []


def test_schema_only_findings_are_kept_and_marked():
    document = json.loads((VEHICLE_SOURCES / "stripe.json").read_text("utf-8"))  # the tests' copy
    document["rules"][0]["events"][0]["metadata"]["plan"]["path"] = "x" * 501

    problems = check_source_document("stripe", document)

    assert problems[0] == (
        'stripe.json: rule "stripe.invoice_paid" (/rules/0/events/0/metadata/plan/path):'
        " a path is at most 500 characters"
    )
    assert problems[1:] == []  # the schema's maxLength finding is the same place


def test_a_non_object_document_is_one_problem_per_checker():
    assert check_source_document("x", []) == ["x.json: /: a source file is a JSON object"]


PATH_PATTERN = re.compile(source_schema_validator().schema["$defs"]["path"]["pattern"])


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab.$@[]'0-1 _", max_size=24))
def test_the_schema_path_pattern_is_the_compilers_grammar(text):
    try:
        parsed = parse_path(text)
    except PathError:
        accepted = False
    else:
        accepted = len(parsed.keys) <= MAX_DEPTH
    assert bool(PATH_PATTERN.fullmatch(text)) is accepted
