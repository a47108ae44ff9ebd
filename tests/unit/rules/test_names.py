"""event_names: every name a rule set can emit, or the pointer of a name that cannot be listed."""

from __future__ import annotations

from typing import Any

import pytest

from webhook_to_track.registry import load_registry
from webhook_to_track.rules import Problems, compile_ruleset, event_names


def rules_with(event_name: Any, match: Any = None, when: Any = None) -> dict[str, Any]:
    event: dict[str, Any] = {"event_name": event_name, "user_id": "u"}
    if when is not None:
        event["when"] = when
    return {"rules": [{"id": "r", "match": match or {}, "events": [event]}]}


@pytest.mark.parametrize(
    ("document", "names"),
    [
        (rules_with("invoice_paid"), ["invoice_paid"]),
        (rules_with({"literal": "lit"}), ["lit"]),
        (rules_with({"path": "type"}, {"type": ["a.b", "c"]}), ["a.b", "c"]),
        (
            rules_with({"path": "type"}, {"type": ["a", "b", "c"]}, {"type": ["b", "c", "d"]}),
            ["b", "c"],
        ),
        (
            rules_with(
                {"template": "checkout_{{data.mode}}_completed"},
                {"data.mode": ["subscription", "payment"]},
            ),
            ["checkout_subscription_completed", "checkout_payment_completed"],
        ),
        (
            rules_with({"template": "{{a}}-{{b}}"}, {"a": ["x", "y"], "b": [1, True]}),
            ["x-1", "x-true", "y-1", "y-true"],
        ),
        (
            rules_with(
                {
                    "template": "stripe.{{type}}",
                    "transform": [{"replace": {"from": ".", "to": "_"}}],
                },
                {"type": ["checkout.session.completed"]},
            ),
            ["stripe_checkout_session_completed"],
        ),
        (
            rules_with(
                {
                    "path": "reason",
                    "transform": [
                        {"map": {"table": {"a": "Churn", "b": "Upgrade"}, "default": "Other"}},
                        "lowercase",
                    ],
                }
            ),
            ["churn", "upgrade", "other"],
        ),
        (
            rules_with({"template": "plan_{{p}}", "default": "plan_unknown"}, {"p": ["pro"]}),
            ["plan_pro", "plan_unknown"],
        ),
        (rules_with({"path": "n", "transform": ["to_string"]}, {"n": [1, 2]}), ["1", "2"]),
    ],
)
def test_finite_names_are_listed(document, names):
    assert event_names(document) == (names, [])


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            rules_with({"path": "type"}),
            'rules.json: rule "r" (/rules/0/events/0/event_name):'
            " cannot list its names: reads 'type', which"
            " neither match nor when limits to exact values; add a map table or exact match"
            " values to list it",
        ),
        (
            rules_with({"template": "x_{{type}}"}, {"type": [{"prefix": "a"}]}),
            'rules.json: rule "r" (/rules/0/events/0/event_name):'
            " cannot list its names: template placeholder"
            " {{type}} is free payload text (neither match nor when limits it to exact values)",
        ),
        (
            rules_with({"template": "x_{{type}}"}, {"$or": [{"type": ["a"]}, {"type": ["b"]}]}),
            'rules.json: rule "r" (/rules/0/events/0/event_name):'
            " cannot list its names: template placeholder"
            " {{type}} is free payload text (neither match nor when limits it to exact values)",
        ),
        (
            rules_with(
                {
                    "path": "amount",
                    "transform": [{"cents_to_amount": {"currency_path": "cur"}}, "to_string"],
                },
                {"amount": [100]},
            ),
            'rules.json: rule "r" (/rules/0/events/0/event_name):'
            " cannot list its names: transform"
            " 'cents_to_amount' reads the payload",
        ),
    ],
)
def test_names_over_free_payload_text_are_reported_with_their_pointer(document, problem):
    assert event_names(document) == ([], [problem])


def test_a_hubspot_like_batch_lists_what_it_can_and_points_at_the_rest():
    document = {
        "defaults": {"user_id": {"path": "@.objectId"}},
        "rules": [
            {
                "id": "off",
                "enabled": False,
                "match": {},
                "events": [{"event_name": "x", "user_id": "u"}],
            },
            {
                "id": "hubspot.batch",
                "match": {},
                "events": [
                    {"for_each": "$", "event_name": "crm_contact_created"},
                    {
                        "for_each": "$",
                        "when": {"@.propertyName": ["lifecyclestage"]},
                        "event_name": {"template": "crm_lifecycle_{{@.propertyValue}}"},
                    },
                    {
                        "for_each": "$",
                        "when": {"@.kind": ["deal", "ticket"]},
                        "event_name": {"template": "crm_{{@.kind}}_changed"},
                    },
                ],
            },
        ],
    }

    assert event_names(document, "hubspot.json") == (
        ["crm_contact_created", "crm_deal_changed", "crm_ticket_changed"],
        [
            'hubspot.json: rule "hubspot.batch" (/rules/1/events/1/event_name): cannot list'
            " its names: template"
            " placeholder {{@.propertyValue}} is free payload text (neither match nor when limits"
            " it to exact values)"
        ],
    )


def test_a_compiled_rule_set_and_its_document_list_the_same_names():
    document = rules_with({"path": "t"}, {"t": ["a"]})
    problems = Problems("x.json")
    ruleset = compile_ruleset(document, problems)

    assert event_names(ruleset) == event_names(document, "x.json") == (["a"], [])


def test_compile_problems_of_a_document_are_included():
    names, problems = event_names(rules_with("ok", {"type": "not-a-list"}))

    assert names == ["ok"]
    assert problems == [
        'rules.json: rule "r" (/rules/0/match/type): expected a non-empty list of alternatives'
        " (OR); wrap a single value in [ ]"
    ]


def test_every_shipped_source_lists_all_its_names():
    for name, source in load_registry().sources.items():
        names, problems = event_names(source.rules)

        assert names, name
        assert problems == [], name
