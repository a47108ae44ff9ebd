"""Source files: the shipped ones compile and match their schema; broken ones are reported."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.factories import VEHICLE_SOURCES
from webhook_to_track.errors import ConfigurationError, UnknownSourceError
from webhook_to_track.registry import get_registry, load_registry
from webhook_to_track.signatures import StripeVerifier

SOURCES = resources.files("webhook_to_track.sources")
MINIMAL_RULES = [{"id": "r", "match": {}, "events": [{"event_name": "e", "user_id": "u"}]}]


def shipped_files() -> list[str]:
    return sorted(
        p.name for p in SOURCES.iterdir() if p.name.endswith(".json") and ".schema." not in p.name
    )


def test_shipped_sources_compile():
    registry = load_registry()

    assert sorted(registry.sources) == sorted(
        name.removesuffix(".json") for name in shipped_files()
    )


def test_a_source_gets_its_presets_options_and_verifier():
    stripe = load_registry(VEHICLE_SOURCES).get("stripe")  # the tests' copy: shipped may go
    assert stripe.preset.name == "stripe"
    assert stripe.options == {"tolerance_s": 300}
    assert isinstance(stripe.verifier(["whsec_x"]), StripeVerifier)


@pytest.mark.parametrize("name", shipped_files())
def test_shipped_sources_match_the_editor_schema(name):
    schema = json.loads(SOURCES.joinpath("source.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    document = json.loads(SOURCES.joinpath(name).read_text("utf-8"))

    errors = [
        e.json_path + ": " + e.message for e in Draft202012Validator(schema).iter_errors(document)
    ]
    assert errors == []
    assert document["$schema"] == "./source.schema.json"


def test_unknown_source_is_404():
    with pytest.raises(UnknownSourceError):
        load_registry().get("nope")


def test_registry_is_compiled_once_per_container():
    assert get_registry() is get_registry()


def write(directory: Path, name: str, document: object) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    (directory / name).write_text(text, "utf-8")


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("{not json", "a.json: /: not valid JSON"),
        (
            {"rules": MINIMAL_RULES},
            'a.json: /signature: signature is required, e.g. {"preset": "stripe"}',
        ),
        (
            {"signature": {"preset": "strpe"}, "rules": MINIMAL_RULES},
            "a.json: /signature/preset: unknown preset 'strpe' (did you mean 'stripe'?)",
        ),
        (
            {"signature": {"preset": "stripe", "tolerance_s": 0}, "rules": MINIMAL_RULES},
            "a.json: /signature: tolerance_s must be an integer from 1 to 86400",
        ),
        (
            {"signature": {"preset": "stripe", "tolerence_s": 5}, "rules": MINIMAL_RULES},
            "a.json: /signature: unknown option 'tolerence_s' for preset 'stripe'",
        ),
        (
            {
                "signature": {"preset": "stripe"},
                "delivery_id": {"pth": "id"},
                "rules": MINIMAL_RULES,
            },
            "a.json: /delivery_id: delivery_id is",
        ),
        (
            {"signature": {"preset": "stripe"}, "rules": MINIMAL_RULES, "rule": []},
            "a.json: /rule: unknown key 'rule' (did you mean 'rules'?)",
        ),
    ],
)
def test_broken_files_stop_the_registry_with_every_problem(tmp_path, document, problem):
    write(tmp_path, "a.json", document)
    write(tmp_path, "b.json", {"signature": {"preset": "stripe"}, "rules": [{"id": "x"}]})

    with pytest.raises(ConfigurationError) as caught:
        load_registry(tmp_path)

    assert any(item.startswith(problem) for item in caught.value.problems), caught.value.problems
    assert any(
        item.startswith('b.json: rule "x" (/rules/0/match)') for item in caught.value.problems
    )


def test_file_name_must_be_a_valid_source_name(tmp_path):
    write(tmp_path, "Stripe Live.json", {"signature": {"preset": "stripe"}, "rules": MINIMAL_RULES})

    with pytest.raises(ConfigurationError, match="not a valid source name"):
        load_registry(tmp_path)


def test_several_sources_may_share_a_preset(tmp_path):
    for name in ("stripe-live", "stripe-test"):
        write(tmp_path, f"{name}.json", {"signature": {"preset": "stripe"}, "rules": MINIMAL_RULES})

    assert sorted(load_registry(tmp_path).sources) == ["stripe-live", "stripe-test"]


def test_missing_directory_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_registry(tmp_path / "nope")


def editor_schema() -> dict:
    return json.loads(SOURCES.joinpath("source.schema.json").read_text("utf-8"))


def test_editor_schema_knows_every_preset_and_option():
    from webhook_to_track.presets import PRESETS

    signature = editor_schema()["properties"]["signature"]["properties"]

    assert signature["preset"]["enum"] == sorted(PRESETS)
    options = {name for preset in PRESETS.values() for name in preset.options}
    assert options <= set(signature) - {"preset", "mode"}


def test_shadow_mode_is_read_from_the_signature(tmp_path):
    write(
        tmp_path,
        "a.json",
        {"signature": {"preset": "stripe", "mode": "shadow"}, "rules": MINIMAL_RULES},
    )
    write(tmp_path, "b.json", {"signature": {"preset": "stripe"}, "rules": MINIMAL_RULES})

    registry = load_registry(tmp_path)

    assert (registry.get("a").shadow, registry.get("b").shadow) == (True, False)
    assert registry.get("a").options == {"tolerance_s": 300}


def test_unknown_mode_is_a_problem(tmp_path):
    write(
        tmp_path,
        "a.json",
        {"signature": {"preset": "stripe", "mode": "audit"}, "rules": MINIMAL_RULES},
    )

    with pytest.raises(ConfigurationError) as caught:
        load_registry(tmp_path)

    assert caught.value.problems == [
        "a.json: /signature/mode: mode is enforce or shadow (default enforce)"
    ]


@pytest.mark.parametrize(
    ("delivery_id", "problem"),
    [
        (
            {"path": "@.id"},
            "a.json: /delivery_id/path: @ paths read a for_each item; use a plain path here",
        ),
        ({"each": "a..b"}, "a.json: /delivery_id/each: "),
        ({"path": "id", "header": "x"}, "a.json: /delivery_id: delivery_id is"),
    ],
)
def test_bad_delivery_ids_are_problems(tmp_path, delivery_id, problem):
    write(
        tmp_path,
        "a.json",
        {"signature": {"preset": "stripe"}, "delivery_id": delivery_id, "rules": MINIMAL_RULES},
    )

    with pytest.raises(ConfigurationError) as caught:
        load_registry(tmp_path)

    assert caught.value.problems[0].startswith(problem)
