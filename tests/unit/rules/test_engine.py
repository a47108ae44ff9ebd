"""Value specs, events, for_each, defaults and rule files: behaviour and compile errors."""

from __future__ import annotations

from typing import Any

import pytest

from webhook_to_track.rules import Problems, compile_ruleset
from webhook_to_track.rules.engine import MAX_ITEMS
from webhook_to_track.rules.paths import MISSING
from webhook_to_track.rules.values import Failure, compile_value


def value(spec: Any, payload: Any, item: Any = None) -> Any:
    problems = Problems("t.json")
    compiled = compile_value(spec, "/v", problems, item_scope=True)
    assert not problems, problems.items
    assert compiled is not None
    return compiled.get(payload, payload if item is None else item)


@pytest.mark.parametrize(
    ("spec", "payload", "expected"),
    [
        ("literal text", {}, "literal text"),
        (42, {}, 42),
        (None, {}, None),
        ({"literal": {"a": [1]}}, {}, {"a": [1]}),
        ({"literal": "X", "transform": ["lowercase"]}, {}, "x"),
        ({"path": "a"}, {"a": 1}, 1),
        ({"path": "a"}, {"a": None}, None),
        ({"path": "a"}, {}, MISSING),
        ({"path": ["a", "b", "c"]}, {"a": None, "b": "", "c": 0}, 0),
        ({"path": ["a", "b"]}, {"a": False, "b": 1}, False),
        ({"path": ["a", "b"]}, {"a": None}, MISSING),
        # a list coalesces whatever its length; a plain string reads the value as it is
        ({"path": ["a"]}, {"a": ""}, MISSING),
        ({"path": "a"}, {"a": ""}, ""),
        ({"path": "a", "default": "none"}, {}, "none"),
        ({"path": "a", "default": "none"}, {"a": None}, "none"),
        ({"path": "a", "default": "none"}, {"a": ""}, ""),
        ({"path": "a", "transform": ["trim", "lowercase"]}, {"a": " X "}, "x"),
        ({"path": "a", "transform": ["trim", "lowercase"]}, {"a": None}, None),
        ({"path": "a", "transform": ["to_number"], "default": -1}, {"a": "x"}, -1),
        ({"path": "a", "transform": ["first", "uppercase"]}, {"a": []}, MISSING),
        ({"template": "plan_{{a}}_{{b.c}}"}, {"a": "pro", "b": {"c": 2}}, "plan_pro_2"),
        ({"template": "{{ a }}!"}, {"a": True}, "true!"),
        ({"template": "plan_{{a}}"}, {}, MISSING),
        ({"template": "plan_{{a}}"}, {"a": None}, MISSING),
        ({"template": "plan_{{a}}"}, {"a": {"x": 1}}, MISSING),
        ({"template": "plan_{{a}}"}, {"a": ""}, "plan_"),
        ({"template": "plan_{{a}}", "default": "plan_unknown"}, {}, "plan_unknown"),
        (
            {"template": "stripe.{{type}}", "transform": [{"replace": {"from": ".", "to": "_"}}]},
            {"type": "checkout.session.completed"},
            "stripe_checkout_session_completed",
        ),
    ],
)
def test_value_specs(spec, payload, expected):
    assert value(spec, payload) == expected


def test_item_paths_read_the_item_and_root_paths_the_payload():
    spec = {"template": "{{@.kind}}:{{portal}}"}

    assert value(spec, {"portal": 7}, {"kind": "contact"}) == "contact:7"


def test_a_failed_transform_is_a_failure_naming_the_transform_not_the_value():
    result = value({"path": "a", "transform": ["trim", "to_number"]}, {"a": " secret "})

    assert result == Failure("transform 1 ('to_number') could not apply to the value")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("hello {{name}}", '/v: looks like a template; write {"template": "..."} explicitly'),
        ({"path": "a", "template": "{{a}}"}, "/v: name exactly one of path, template or literal"),
        ({}, "/v: name exactly one of path, template or literal"),
        ({"paht": "a"}, "/v/paht: unknown key 'paht' (did you mean 'path'?)"),
        ({"path": []}, "/v/path: path takes a string or a list of 1 to 10 fallbacks"),
        (
            {"path": [f"p{i}" for i in range(11)]},
            "/v/path: path takes a string or a list of 1 to 10",
        ),
        ({"path": ["a", "b..c"]}, "/v/path/1: cannot read 'b..c'"),
        ({"path": "@.x"}, "/v/path: '@.x' reads the for_each item, but there is no for_each here"),
        ({"template": "{{@.x}}"}, "/v/template: '@.x' reads the for_each item"),
        (
            {"path": "a", "transform": [{"cents_to_amount": {"currency_path": "@.c"}}]},
            "/v/transform: '@.c' reads the for_each item",
        ),
        ({"template": "no placeholder"}, "/v/template: template has no {{placeholder}}"),
        ({"template": "{{a}} }}"}, "/v/template: unbalanced {{ }} in template"),
        ({"template": "{{a..b}}"}, "/v/template: placeholder '{{a..b}}'"),
        ({"template": "x" * 501 + "{{a}}"}, "/v/template: template is longer than 500 characters"),
        ({"template": "{{a}}" * 21}, "/v/template: at most 20 placeholders per template"),
        ({"path": "a", "default": [1]}, "/v/default: default must be a JSON primitive"),
        ({"path": "a", "required": "yes"}, "/v/required: required is true or false"),
        ({"path": "a", "required": True, "default": 1}, "/v/required: a value with a default"),
        ({"path": "a", "key": "k"}, "/v/key: unknown key 'key'"),
        ([1, 2], "/v: a value is a JSON primitive or an object"),
    ],
)
def test_bad_value_specs_are_reported(spec, message):
    problems = Problems("t.json")

    compile_value(spec, "/v", problems)

    assert any(f"t.json: {message}" in item for item in problems.items), problems.items


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("user_id", "/v/required: user_id is always required; remove 'required'"),
        ("event_name", "/v/required: event_name is always required; remove 'required'"),
    ],
)
def test_required_is_for_metadata_only(role, message):
    problems = Problems("t.json")

    compile_value({"path": "a", "required": True}, "/v", problems, role=role)

    assert problems.items == [f"t.json: {message}"]


# --- rule files ---------------------------------------------------------------------------------

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


def one_rule(*events: dict[str, Any], **defaults: Any) -> dict[str, Any]:
    return {"defaults": defaults, "rules": [{"id": "r", "match": {}, "events": list(events)}]}


def test_every_matching_rule_fires_in_file_order_with_defaults_and_precedence():
    payload = {
        "type": "thing.created",
        "user": {"id": 123},
        "thing": {"size": 3, "attributes": {"kind": "flattened", "weight": 2}},
    }

    result = compile_doc(DOCUMENT).map(payload, delivery_id="d-1")

    assert result.matched == ("created", "anything")
    assert [e.call.body["event_name"] for e in result.calls] == ["thing_created", "thing_seen"]
    first = result.calls[0].call.body
    assert first["user_id"] == "123"
    assert first["metadata"] == {
        "source": "test",
        "source_event_id": "d-1",
        "attr_kind": "flattened",
        "attr_weight": 2,
        "size": 3,
        "kind": "overridden",
        "thing_size": 3,
        "thing_attributes_kind": "flattened",
        "thing_attributes_weight": 2,
    }
    assert result.calls[1].call.body["metadata"] == {
        "source": "test",
        "kind": "thing.created",
        "source_event_id": "d-1",
    }
    # the templated event lacks its placeholder: rejected, not sent as "thing_"
    assert [r.reason for r in result.rejected] == [
        "event_name is missing or not a non-empty string"
    ]


def test_when_filters_events_and_per_event_user_id_overrides_defaults():
    payload = {"type": "thing.created", "thing": {"size": 11, "color": "red"}}

    result = compile_doc(DOCUMENT).map(payload)

    names = [(e.call.body["event_name"], e.call.body["user_id"]) for e in result.calls]
    assert names == [("thing_red", "fixed-user")]
    assert {r.event_name for r in result.rejected} == {
        "thing_created",
        "big_thing_created",
        "thing_seen",
    }
    assert {r.reason for r in result.rejected} == {
        "no user id in the payload (tried: user.id, account.owner)"
    }


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        *[(0, "0"), (1.0, "1"), ("u-1", "u-1"), ("", None), ("  ", None), (True, None)],
        *[(1.5, None), ({"a": 1}, None), ("x" * 255, "x" * 255), ("x" * 256, None)],
    ],
)
def test_user_id_must_be_text_or_a_whole_number(user, expected):
    rules = compile_doc(one_rule({"event_name": "e", "user_id": {"path": "u"}}))

    result = rules.map({"u": user})

    assert [e.call.body["user_id"] for e in result.calls] == ([expected] if expected else [])


def test_a_user_id_too_long_is_rejected_never_cut():
    rules = compile_doc(one_rule({"event_name": "e", "user_id": {"path": "u"}}))

    (rejection,) = rules.map({"u": "x" * 256}).rejected

    assert rejection.reason.startswith("user_id is longer than 255 characters (never cut")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "event_name is missing or not a non-empty string"),
        (5, "event_name is missing or not a non-empty string"),
        ("x" * 256, "event_name is longer than 255 characters"),
    ],
)
def test_event_name_must_be_text_of_at_most_255(name, reason):
    rules = compile_doc(one_rule({"event_name": {"path": "n"}, "user_id": "u"}))

    assert [r.reason for r in rules.map({"n": name}).rejected] == [reason]


def test_a_failed_transform_rejects_on_identity_and_drops_a_metadata_key():
    rules = compile_doc(
        one_rule(
            {
                "event_name": "e",
                "user_id": {"path": "u", "transform": ["to_int"]},
                "metadata": {
                    "n": {"path": "n", "transform": ["to_number"]},
                    "m": {"path": "n", "transform": ["to_number"], "default": 0},
                    "ok": 1,
                },
            },
            {"event_name": {"path": "u", "transform": ["to_bool"]}, "user_id": "u"},
        )
    )

    good = rules.map({"u": "12", "n": "many"})
    bad = rules.map({"u": "twelve"})

    assert [e.call.body for e in good.calls] == [
        {"user_id": "12", "event_name": "e", "metadata": {"m": 0, "ok": 1}}
    ]
    assert [d.to_dict() for d in good.dropped] == [
        {
            "rule": "r",
            "event": 0,
            "key": "n",
            "reason": "transform 0 ('to_number') could not apply to the value",
        }
    ]
    assert [(r.event_index, r.reason) for r in good.rejected + bad.rejected] == [
        (1, "event_name: transform 0 ('to_bool') could not apply to the value"),
        (0, "user_id: transform 0 ('to_int') could not apply to the value (tried: u)"),
        (1, "event_name: transform 0 ('to_bool') could not apply to the value"),
    ]


def test_required_metadata_rejects_the_event_naming_key_and_paths():
    rules = compile_doc(
        one_rule(
            {
                "event_name": "e",
                "metadata": {"invoice": {"path": ["data.id", "data.number"], "required": True}},
            },
            user_id="u",
        )
    )

    assert rules.map({"data": {"number": 7}}).calls[0].call.body["metadata"]["invoice"] == 7
    assert [r.reason for r in rules.map({"data": {"id": None}}).rejected] == [
        "required metadata 'invoice' is missing (tried: data.id, data.number)"
    ]


def test_a_required_default_rejects_every_event_that_inherits_it():
    rules = compile_doc(
        one_rule(
            {"event_name": "a"},
            {"event_name": "b", "metadata": {"plan": "own"}},
            user_id="u",
            metadata={"plan": {"path": "plan", "required": True}},
        )
    )

    result = rules.map({})

    assert [e.call.body["event_name"] for e in result.calls] == ["b"]
    assert [r.reason for r in result.rejected] == [
        "required metadata 'plan' is missing (tried: plan)"
    ]


@pytest.mark.parametrize(
    ("file_level", "event_level", "expected"),
    [
        (None, None, {"a": None, "b": None, "c": 1}),
        (True, None, {"c": 1}),
        (True, False, {"a": None, "b": None, "c": 1}),
        (None, True, {"c": 1}),
    ],
)
def test_nulls_are_kept_unless_drop_nulls(file_level, event_level, expected):
    event: dict[str, Any] = {"event_name": "e", "metadata": {"b": {"path": "x"}, "c": 1}}
    defaults: dict[str, Any] = {"user_id": "u", "metadata": {"a": None}, "source_event_id": False}
    if event_level is not None:
        event["drop_nulls"] = event_level
    if file_level is not None:
        defaults["drop_nulls"] = file_level

    result = compile_doc(one_rule(event, **defaults)).map({"x": None})

    assert result.calls[0].call.body["metadata"] == expected


@pytest.mark.parametrize(
    ("arrays", "expected"),
    [
        (None, {"tags": "a,b", "items": '[{"id":1}]'}),
        ("json", {"tags": '["a","b"]', "items": '[{"id":1}]'}),
        ("skip", {}),
    ],
)
def test_declared_arrays_follow_the_arrays_policy(arrays, expected):
    event: dict[str, Any] = {
        "event_name": "e",
        "metadata": {"tags": {"path": "tags"}, "items": {"path": "items"}},
    }
    if arrays:
        event["arrays"] = arrays
    rules = compile_doc(one_rule(event, user_id="u", source_event_id=False))

    result = rules.map({"tags": ["a", "b"], "items": [{"id": 1}]})

    assert result.calls[0].call.body["metadata"] == expected


def test_metadata_is_made_userpilot_safe():
    rules = compile_doc(
        one_rule(
            {
                "event_name": "e",
                "metadata": {
                    "long": {"path": "long"},
                    "inf": {"path": "inf"},
                    "nested": {"path": "nested"},
                    "nested_a": "declared wins",
                },
            },
            user_id="u",
            source_event_id=False,
        )
    )

    result = rules.map({"long": "x" * 2000, "inf": float("inf"), "nested": {"a": 1, "b": {"c": 2}}})

    assert result.calls[0].call.body["metadata"] == {
        "long": "x" * 1024,
        "nested_b_c": 2,
        "nested_a": "declared wins",
    }
    assert [(d.key, d.reason) for d in result.dropped] == [("inf", "not a finite number")]


def test_flattened_keys_past_200_are_left_out_and_reported():
    rules = compile_doc(
        one_rule(
            {"event_name": "e", "metadata": {"own": 1}, "flatten": [{"path": "big"}]},
            user_id="u",
        )
    )

    result = rules.map({"big": {f"k{i:03}": i for i in range(300)}}, delivery_id="d")

    metadata = result.calls[0].call.body["metadata"]
    assert len(metadata) == 200
    assert metadata["own"] == 1
    assert metadata["source_event_id"] == "d"
    assert [d.reason for d in result.dropped] == [
        "102 flattened keys over Userpilot's 200-key limit left out"
    ]


# --- added fields: occurred_at and source_event_id ------------------------------------------------

STRIPE_LIKE = {"id": "evt_1", "created": 1724155203, "type": "invoice.paid"}


@pytest.mark.parametrize(
    ("defaults", "own", "expected"),
    [
        ({}, {}, {"source_event_id": "d-9"}),
        (
            {"occurred_at": {"path": "created", "transform": ["unix_to_iso"]}},
            {},
            {"occurred_at": "2024-08-20T12:00:03.000Z", "source_event_id": "d-9"},
        ),
        ({"source_event_id": {"path": "id"}}, {}, {"source_event_id": "evt_1"}),
        ({"source_event_id": {"path": "nope"}}, {}, {"source_event_id": "d-9"}),
        ({"source_event_id": {"path": "created"}}, {}, {"source_event_id": "1724155203"}),
        (
            {"source_event_id": {"path": "id", "key": "stripe_event_id"}},
            {},
            {"stripe_event_id": "evt_1"},
        ),
        ({"source_event_id": False}, {}, {}),
        ({"occurred_at": False}, {"source_event_id": "mine"}, {"source_event_id": "mine"}),
        (
            {"occurred_at": {"path": "created", "transform": ["unix_to_iso"]}},
            {"occurred_at": "mine"},
            {"occurred_at": "mine", "source_event_id": "d-9"},
        ),
        (
            {"occurred_at": {"path": "created"}, "metadata": {"occurred_at": {"path": "type"}}},
            {},
            {"occurred_at": "invoice.paid", "source_event_id": "d-9"},
        ),
    ],
)
def test_added_fields_keep_the_senders_time_and_id(defaults, own, expected):
    rules = compile_doc(one_rule({"event_name": "e", "metadata": own}, user_id="u", **defaults))

    assert rules.map(STRIPE_LIKE, delivery_id="d-9").calls[0].call.body["metadata"] == expected


def test_without_a_delivery_id_nothing_is_invented():
    rules = compile_doc(one_rule({"event_name": "e"}, user_id="u"))

    assert rules.map({}).calls[0].call.body["metadata"] == {}


# --- for_each -------------------------------------------------------------------------------------

HUBSPOT = {
    "defaults": {
        "user_id": {"path": "@.objectId", "transform": ["to_string"]},
        "metadata": {"source": "hubspot", "portal_id": {"path": "@.portalId"}},
        "occurred_at": {"path": "@.occurredAt", "transform": ["unix_ms_to_iso"]},
        "source_event_id": {"path": "@.eventId", "key": "hubspot_event_id"},
    },
    "rules": [
        {
            "id": "hubspot.batch",
            "match": {},
            "events": [
                {
                    "for_each": "$",
                    "when": {"@.subscriptionType": ["contact.creation"]},
                    "event_name": "crm_contact_created",
                },
                {
                    "for_each": "$",
                    "when": {
                        "@.subscriptionType": ["contact.propertyChange"],
                        "@.propertyName": ["lifecyclestage"],
                    },
                    "event_name": {
                        "template": "crm_lifecycle_{{@.propertyValue}}",
                        "transform": ["lowercase"],
                    },
                    "metadata": {"lifecycle_stage": {"path": "@.propertyValue"}},
                },
            ],
        }
    ],
}


def notification(i: int, kind: str = "contact.creation", **extra: Any) -> dict[str, Any]:
    return {
        "eventId": 1000 + i,
        "objectId": 900 + i,
        "portalId": 62515,
        "occurredAt": 1724155200123 + i,
        "subscriptionType": kind,
        **extra,
    }


def test_for_each_yields_one_event_per_matching_item_with_its_own_time_and_id():
    batch = [
        notification(0),
        notification(
            1, "contact.propertyChange", propertyName="lifecyclestage", propertyValue="Customer"
        ),
        notification(
            2, "contact.propertyChange", propertyName="hs_lead_status", propertyValue="OPEN"
        ),
        notification(3, objectId=None),
    ]

    result = compile_doc(HUBSPOT).map(batch, delivery_id="d")

    assert [(e.index, e.item, e.call.body) for e in result.calls] == [
        (
            0,
            0,
            {
                "user_id": "900",
                "event_name": "crm_contact_created",
                "metadata": {
                    "source": "hubspot",
                    "hubspot_event_id": "1000",
                    "portal_id": 62515,
                    "occurred_at": "2024-08-20T12:00:00.123Z",
                },
            },
        ),
        (
            1,
            1,
            {
                "user_id": "901",
                "event_name": "crm_lifecycle_customer",
                "metadata": {
                    "source": "hubspot",
                    "hubspot_event_id": "1001",
                    "portal_id": 62515,
                    "occurred_at": "2024-08-20T12:00:00.124Z",
                    "lifecycle_stage": "Customer",
                },
            },
        ),
    ]
    assert [r.to_dict() for r in result.rejected] == [
        {
            "rule": "hubspot.batch",
            "event": 0,
            "event_name": "crm_contact_created",
            "reason": "item 3: no user id in the payload (tried: @.objectId)",
        }
    ]


def test_for_each_items_without_an_event_id_get_the_delivery_id_and_their_index():
    document = one_rule({"for_each": "items", "event_name": "e", "user_id": {"path": "@.u"}})

    result = compile_doc(document).map({"items": [{"u": "a"}, {"u": "b"}]}, delivery_id="d")

    assert [e.call.body["metadata"] for e in result.calls] == [
        {"source_event_id": "d#0"},
        {"source_event_id": "d#1"},
    ]


@pytest.mark.parametrize(
    ("payload", "events", "reasons"),
    [
        ({}, 0, []),
        ({"items": None}, 0, []),
        ({"items": []}, 0, []),
        ({"items": {"u": "a"}}, 0, ["for_each: items is not an array"]),
        (
            {"items": [{"u": "a"}] * (MAX_ITEMS + 12)},
            MAX_ITEMS,
            ["for_each: items has 512 items; only the first 500 were mapped, 12 skipped"],
        ),
    ],
)
def test_for_each_is_capped_and_reports_what_it_cannot_map(payload, events, reasons):
    document = one_rule({"for_each": "items", "event_name": "e", "user_id": {"path": "@.u"}})

    result = compile_doc(document).map(payload)

    assert (len(result.calls), [r.reason for r in result.rejected]) == (events, reasons)


# --- compile errors -------------------------------------------------------------------------------

EVENT = {"event_name": "e", "user_id": "u"}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"rules": {}}, "/rules: rules must be a list"),
        (
            {"rules": [{"match": {}, "events": [EVENT]}]},
            "/rules/0/id: id must be a string of 1 to 200 characters",
        ),
        (
            {"rules": [{"id": "a", "events": [EVENT]}]},
            "/rules/0/match: match is required ({} matches every payload)",
        ),
        (
            {"rules": [{"id": "a", "match": {}, "events": []}]},
            "/rules/0/events: events must be a list of 1 to 50 events",
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
            {"rules": [{"id": "a", "match": {}, "events": [{**EVENT, "event_name": ""}]}]},
            "/rules/0/events/0/event_name: event_name must be non-empty text",
        ),
        (
            {"rules": [{"id": "a", "match": {}, "events": [{**EVENT, "user_id": True}]}]},
            "/rules/0/events/0/user_id: user_id must be text or a whole number",
        ),
        (
            {"rules": [{"id": "a", "match": {}, "evnts": []}]},
            "/rules/0/evnts: unknown key 'evnts' (did you mean 'events'?)",
        ),
        (
            {"rules": [{"id": "a", "enabled": "no", "match": {}, "events": [EVENT]}]},
            "/rules/0/enabled: enabled is true or false",
        ),
        (
            {
                "rules": [
                    {"id": "a", "match": {}, "events": [EVENT]},
                    {"id": "a", "match": {}, "events": [EVENT]},
                ]
            },
            "/rules/1/id: duplicate rule id 'a'",
        ),
        (
            one_rule({**EVENT, "flatten": [{"path": "x", "max_depth": 0}]}),
            "/rules/0/events/0/flatten/0/max_depth: max_depth must be an integer from 1 to 8",
        ),
        (
            one_rule({**EVENT, "flatten": [{"path": "x", "arrays": "zip"}]}),
            "/rules/0/events/0/flatten/0/arrays: arrays must be one of ['join', 'json', 'skip']",
        ),
        (
            one_rule({**EVENT, "flatten": [{"path": "@.x"}]}),
            "/rules/0/events/0/flatten/0/path: '@.x' reads the for_each item",
        ),
        (
            one_rule({**EVENT, "drop_nulls": "yes"}),
            "/rules/0/events/0/drop_nulls: drop_nulls is true or false",
        ),
        (
            one_rule({**EVENT, "for_each": {"path": "items"}}),
            '/rules/0/events/0/for_each: for_each takes a path to an array, e.g. "data.items"',
        ),
        (
            one_rule({**EVENT, "for_each": "@.items"}),
            "/rules/0/events/0/for_each: for_each reads the payload; a for_each inside a for_each",
        ),
        (
            one_rule({**EVENT, "metadata": {"x": {"path": "@.x"}}}),
            "/rules/0/events/0/metadata/x/path: '@.x' reads the for_each item, but there is no",
        ),
        (
            one_rule({**EVENT, "when": {"@.x": [1]}}),
            "/rules/0/events/0/when/@.x: '@.x' reads the for_each item, but there is no for_each",
        ),
        (
            one_rule({"event_name": "e"}, user_id={"path": "@.id"}),
            "/rules/0/events/0: inherits /defaults/user_id, which reads the for_each item (@)",
        ),
        (
            one_rule(EVENT, metadata={"portal": {"path": "@.portalId"}}),
            "/rules/0/events/0: inherits /defaults/metadata/portal, which reads the for_each item",
        ),
        (
            one_rule(EVENT, occurred_at={"path": "@.t"}),
            "/rules/0/events/0: inherits /defaults/occurred_at, which reads the for_each item",
        ),
        (
            one_rule(EVENT, source_event_id={"path": "@.id"}),
            "/rules/0/events/0: inherits /defaults/source_event_id, which reads the for_each item",
        ),
        (
            one_rule(EVENT, metadata={"a": {"path": "a", "transform": ["cents_to_amout"]}}),
            "/defaults/metadata/a/transform/0: unknown transform 'cents_to_amout'"
            " (did you mean 'cents_to_amount'?)",
        ),
        (
            one_rule(EVENT, occurred_at="created"),
            "/defaults/occurred_at: occurred_at is false or a value object",
        ),
        (
            one_rule(EVENT, source_event_id={"path": "id", "key": ""}),
            "/defaults/source_event_id/key: key is a metadata key of 1 to 255 characters",
        ),
        (
            one_rule(EVENT, source_event_id={"path": "id", "required": True}),
            "/defaults/source_event_id/required: an added field is optional by nature",
        ),
        (
            one_rule({**EVENT, "metadata": {"": 1}}),
            "/rules/0/events/0/metadata/: metadata keys have 1 to 255 characters",
        ),
        (
            one_rule(
                {**EVENT, "metadata": {f"k{i}": i for i in range(150)}},
                metadata={f"d{i}": i for i in range(60)},
            ),
            "/rules/0/events/0/metadata: this event declares 211 metadata keys",
        ),
        (
            {"defaults": {"user": "x"}, "rules": []},
            "/defaults/user: unknown key 'user' (did you mean 'user_id'?)",
        ),
        ({"defaults": {"arrays": "csv"}, "rules": []}, "/defaults/arrays: arrays must be one of"),
    ],
)
def test_compile_errors_carry_a_json_pointer(document, expected):
    problems = Problems("t.json")

    compile_ruleset(document, problems)

    found = [f"{w}: {m}" for w, m in zip(problems.pointers, problems.messages, strict=True)]
    assert any(line.startswith(expected) for line in found), problems.items


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

    assert problems.items == [
        't.json: rule "a" (/rules/0/match/type): expected a non-empty list of alternatives'
        " (OR); wrap a single value in [ ]",
        't.json: rule "a" (/rules/0/events/0/event_name): looks like a template; write'
        ' {"template": "..."} explicitly',
        "t.json: rule \"b\" (/rules/1/match/t/0): unknown operator 'prefx' (did you mean"
        " 'prefix'?)",
        "t.json: rule \"b\" (/rules/1/events/0/user_id/paht): unknown key 'paht' (did you mean"
        " 'path'?)",
        't.json: rule "b" (/rules/1/events/0/user_id): name exactly one of path, template or'
        " literal",
    ]


def test_rules_can_match_and_read_request_headers():
    rules = compile_doc(
        {
            "rules": [
                {
                    "id": "orders",
                    "match": {"$headers.x-shopify-topic": ["orders/create", "orders/paid"]},
                    "events": [
                        {
                            "event_name": {
                                "template": "shopify_{{$headers.x-shopify-topic}}",
                                "transform": [{"replace": {"from": "/", "to": "_"}}],
                            },
                            "user_id": {"path": "email"},
                            "metadata": {"shop": {"path": "$headers.x-shopify-shop-domain"}},
                        }
                    ],
                }
            ]
        }
    )
    headers = {"x-shopify-topic": "orders/paid", "x-shopify-shop-domain": "acme.myshopify.com"}

    result = rules.map({"email": "a@b.c"}, headers=headers)
    ignored = rules.map({"email": "a@b.c"}, headers={"x-shopify-topic": "carts/update"})

    assert [e.call.body["event_name"] for e in result.calls] == ["shopify_orders_paid"]
    assert result.calls[0].call.body["metadata"]["shop"] == "acme.myshopify.com"
    assert ignored.matched == ()
