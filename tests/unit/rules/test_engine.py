"""Value specs, events, flatten and rule files: behaviour and compile errors with pointers."""

from __future__ import annotations

from typing import Any

import pytest

from webhook_to_track.rules import Problems, compile_ruleset
from webhook_to_track.rules.flatten import FlattenOptions, flatten_object
from webhook_to_track.rules.paths import MISSING
from webhook_to_track.rules.values import compile_value


def value(spec: Any, payload: Any) -> Any:
    problems = Problems("t.json")
    compiled = compile_value(spec, "/v", problems)
    assert not problems, problems.items
    assert compiled is not None
    return compiled.get(payload)


@pytest.mark.parametrize(
    ("spec", "payload", "expected"),
    [
        ("literal text", {}, "literal text"),
        (42, {}, 42),
        (None, {}, None),
        ({"literal": {"a": [1]}}, {}, {"a": [1]}),
        ({"path": "a"}, {"a": 1}, 1),
        ({"path": "a"}, {"a": None}, None),
        ({"path": "a"}, {}, MISSING),
        ({"path": ["a", "b", "c"]}, {"a": None, "b": "", "c": 0}, 0),
        ({"path": ["a", "b"]}, {"a": False, "b": 1}, False),
        ({"path": ["a", "b"]}, {}, MISSING),
        ({"path": "a", "default": "none"}, {}, "none"),
        ({"path": "a", "default": "none"}, {"a": None}, "none"),
        ({"path": "a", "transform": ["trim", "lowercase"]}, {"a": " X "}, "x"),
        ({"path": "a", "transform": ["to_number"], "default": -1}, {"a": "x"}, -1),
        ({"template": "plan_{{a}}_{{b.c}}"}, {"a": "pro", "b": {"c": 2}}, "plan_pro_2"),
        ({"template": "{{ a }}!"}, {"a": True}, "true!"),
        ({"template": "plan_{{a}}"}, {}, MISSING),
        ({"template": "plan_{{a}}"}, {"a": None}, MISSING),
        ({"template": "plan_{{a}}"}, {"a": {"x": 1}}, MISSING),
        ({"template": "plan_{{a}}", "default": "plan_unknown"}, {}, "plan_unknown"),
    ],
)
def test_value_specs(spec, payload, expected):
    assert value(spec, payload) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("hello {{name}}", 'looks like a template; write {"template": "..."} explicitly'),
        ({"path": "a", "template": "{{a}}"}, "name exactly one of path, template or literal"),
        ({}, "name exactly one of path, template or literal"),
        ({"paht": "a"}, "/v/paht: unknown key 'paht' (did you mean 'path'?)"),
        ({"path": []}, "path takes a string or a list of 1 to 10 fallbacks"),
        ({"path": ["a", "b..c"]}, "/v/path/1"),
        ({"template": "no placeholder"}, "template has no {{placeholder}}"),
        ({"template": "{{a}} }}"}, "unbalanced"),
        ({"template": "x" * 501 + "{{a}}"}, "longer than 500"),
        ({"path": "a", "default": [1]}, "/v/default: default must be a JSON primitive"),
        ([1, 2], "a value is a JSON primitive or an object"),
    ],
)
def test_bad_value_specs_are_reported(spec, message):
    problems = Problems("t.json")

    compile_value(spec, "/v", problems)

    assert any(message in item for item in problems.items), problems.items


def test_flatten_nested_objects_into_primitive_keys():
    nested = {
        "plan": {"tier": "pro", "limits": {"seats": 5, "deep": {"x": {"y": 1}}}},
        "tags": ["a", "b"],
        "items": [{"id": 1}],
        "secret": "s",
        "n": None,
    }

    flat = flatten_object(nested, "m_", FlattenOptions(max_depth=3, exclude=frozenset({"secret"})))

    assert flat == {
        "m_plan_tier": "pro",
        "m_plan_limits_seats": 5,
        "m_plan_limits_deep": '{"x":{"y":1}}',
        "m_tags": "a,b",
        "m_items": '[{"id":1}]',
        "m_n": None,
    }


@pytest.mark.parametrize(("arrays", "expected"), [("json", '["a","b"]'), ("skip", None)])
def test_flatten_array_policies(arrays, expected):
    flat = flatten_object({"tags": ["a", "b"]}, "", FlattenOptions(arrays=arrays))

    assert flat.get("tags") == expected


DOCUMENT = {
    "defaults": {
        "user_id": {"path": ["user.id", "account.owner"]},
        "metadata": {"source": "test", "kind": {"path": "type"}},
    },
    "rules": [
        {
            "id": "created",
            "match": {"type": ["thing.created"]},
            "events": [
                {
                    "event_name": "thing_created",
                    "metadata": {
                        "size": {"path": "thing.size"},
                        "kind": "overridden",
                        "thing": {"path": "thing"},
                    },
                    "flatten": [{"path": "thing.attributes", "prefix": "attr_"}],
                },
                {
                    "when": {"thing.size": [{"numeric": [">", 10]}]},
                    "event_name": "big_thing_created",
                },
                {"event_name": {"template": "thing_{{thing.color}}"}, "user_id": "fixed-user"},
            ],
        },
        {"id": "disabled", "enabled": False, "match": {}, "events": [{"event_name": "never"}]},
        {
            "id": "anything",
            "match": {"type": [{"prefix": "thing."}]},
            "events": [{"event_name": "thing_seen"}],
        },
    ],
}


def compile_doc(document: dict[str, Any]):
    problems = Problems("t.json")
    rules = compile_ruleset(document, problems)
    assert not problems, problems.items
    return rules


def test_every_matching_rule_fires_in_file_order_with_defaults_and_precedence():
    payload = {
        "type": "thing.created",
        "user": {"id": 123},
        "thing": {"size": 3, "attributes": {"kind": "flattened", "weight": 2}},
    }

    result = compile_doc(DOCUMENT).map(payload)

    assert result.matched == ("created", "anything")
    assert [e.event["event_name"] for e in result.events] == ["thing_created", "thing_seen"]
    first = result.events[0].event
    assert first["user_id"] == "123"
    assert first["metadata"] == {
        "source": "test",
        "attr_kind": "flattened",
        "attr_weight": 2,
        "size": 3,
        "kind": "overridden",
        "thing_size": 3,
        "thing_attributes_kind": "flattened",
        "thing_attributes_weight": 2,
    }
    # the templated event lacks its placeholder: rejected, not sent as "thing_"
    assert [r.reason for r in result.rejected] == [
        "event_name is missing or not a non-empty string"
    ]


def test_when_filters_events_and_per_event_user_id_overrides_defaults():
    payload = {"type": "thing.created", "thing": {"size": 11, "color": "red"}}

    result = compile_doc(DOCUMENT).map(payload)

    names = [(e.event["event_name"], e.event["user_id"]) for e in result.events]
    assert names == [("thing_red", "fixed-user")]
    assert {r.event_name for r in result.rejected} == {
        "thing_created",
        "big_thing_created",
        "thing_seen",
    }
    assert all(
        r.reason.startswith("no user id in the payload (tried: user.id, account.owner)")
        for r in result.rejected
    )


@pytest.mark.parametrize(
    ("user", "ok"),
    [(0, True), (1.0, True), ("", False), (True, False), (1.5, False), ({"a": 1}, False)],
)
def test_user_id_must_be_a_string_or_integer(user, ok):
    rules = compile_doc(
        {
            "rules": [
                {"id": "r", "match": {}, "events": [{"event_name": "e", "user_id": {"path": "u"}}]}
            ]
        }
    )

    result = rules.map({"u": user})

    assert bool(result.events) is ok


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ({"rules": {}}, "/rules: rules must be a list"),
        (
            {"rules": [{"match": {}, "events": [{"event_name": "e", "user_id": "u"}]}]},
            "/rules/0/id",
        ),
        (
            {"rules": [{"id": "a", "match": {}, "events": []}]},
            "/rules/0/events: events must be a non-empty list",
        ),
        (
            {"rules": [{"id": "a", "match": {}, "events": [{"user_id": "u"}]}]},
            "/rules/0/events/0: event_name is required",
        ),
        (
            {"rules": [{"id": "a", "match": {}, "events": [{"event_name": "e"}]}]},
            "/rules/0/events/0: user_id is required here or in defaults",
        ),
        (
            {"rules": [{"id": "a", "match": {}, "evnts": []}]},
            "/rules/0/evnts: unknown key 'evnts' (did you mean 'events'?)",
        ),
        (
            {
                "rules": [
                    {"id": "a", "match": {}, "events": [{"event_name": "e", "user_id": "u"}]},
                    {"id": "a", "match": {}, "events": [{"event_name": "e", "user_id": "u"}]},
                ]
            },
            "/rules/1/id: duplicate rule id 'a'",
        ),
        (
            {
                "rules": [
                    {
                        "id": "a",
                        "match": {},
                        "events": [
                            {
                                "event_name": "e",
                                "user_id": "u",
                                "flatten": [{"path": "x", "max_depth": 0}],
                            }
                        ],
                    }
                ]
            },
            "/rules/0/events/0/flatten/0/max_depth",
        ),
        (
            {
                "rules": [
                    {
                        "id": "a",
                        "match": {},
                        "events": [
                            {
                                "event_name": "e",
                                "user_id": "u",
                                "flatten": [{"path": "x", "arrays": "zip"}],
                            }
                        ],
                    }
                ]
            },
            "/rules/0/events/0/flatten/0/arrays",
        ),
        (
            {
                "defaults": {"metadata": {"a": {"path": "a", "transform": ["cents_to_amout"]}}},
                "rules": [],
            },
            "/defaults/metadata/a/transform/0: unknown transform 'cents_to_amout'"
            " (did you mean 'cents_to_amount'?)",
        ),
        (
            {"defaults": {"user": "x"}, "rules": []},
            "/defaults/user: unknown key 'user' (did you mean 'user_id'?)",
        ),
    ],
)
def test_compile_errors_carry_a_json_pointer(document, pointer):
    problems = Problems("t.json")

    compile_ruleset(document, problems)

    assert any(f"t.json: {pointer}" in item for item in problems.items), problems.items


def test_all_problems_are_reported_at_once():
    document = {
        "rules": [
            {
                "id": "a",
                "match": {"type": "x"},
                "events": [{"event_name": "e {{x}}", "user_id": "u"}],
            },
            {
                "id": "b",
                "match": {"t": [{"prefx": "a"}]},
                "events": [{"event_name": "e", "user_id": {"paht": "u"}}],
            },
        ]
    }
    problems = Problems("t.json")

    compile_ruleset(document, problems)

    assert len(problems.items) == 5
