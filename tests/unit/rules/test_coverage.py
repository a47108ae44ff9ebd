"""Paths no sample has: each warning names the value's place, its paths and a close path that
the samples do have; values the samples cannot judge are left alone."""

from __future__ import annotations

from typing import Any

import pytest

from webhook_to_track.rules import Problems, compile_ruleset
from webhook_to_track.rules.coverage import Sample, UnreadPath, unread_paths

PAID = {"type": "invoice.paid", "data": {"amount_paid": 500, "customer": "cus_1"}}


def ruleset(event: dict[str, Any], match: Any = None, defaults: Any = None) -> Any:
    document: dict[str, Any] = {
        "rules": [
            {
                "id": "paid",
                "match": {"type": ["invoice.paid"]} if match is None else match,
                "events": [{"event_name": "invoice_paid", "user_id": "u", **event}],
            }
        ]
    }
    if defaults is not None:
        document["defaults"] = defaults
    problems = Problems("t.json")
    compiled = compile_ruleset(document, problems)
    assert not problems, problems.items
    return compiled


def unread(event: dict[str, Any], *payloads: Any, **kwargs: Any) -> list[UnreadPath]:
    return unread_paths(ruleset(event, **kwargs), [Sample(p) for p in payloads or (PAID,)])


def test_a_misspelt_metadata_path_is_reported_with_the_path_the_samples_have():
    (found,) = unread({"metadata": {"amount": {"path": "data.amount_payd"}}}, PAID, PAID)

    assert found == UnreadPath(
        "/rules/0/events/0/metadata/amount", ("data.amount_payd",), 2, "data.amount_paid"
    )
    assert found.message() == (
        "warning: 'data.amount_payd' has no value in the 2 samples this rule maps"
        " (did you mean 'data.amount_paid'?)"
    )


def test_a_path_the_samples_have_is_not_reported():
    assert unread({"metadata": {"amount": {"path": "data.amount_paid"}}}) == []


def test_a_null_value_is_a_value():
    payload = {**PAID, "data": {"amount_paid": None}}

    assert unread({"metadata": {"amount": {"path": "data.amount_paid"}}}, payload) == []


def test_nothing_close_means_no_suggestion():
    (found,) = unread({"metadata": {"plan": {"path": "data.zzzz"}}})

    assert found.suggestion == ""
    assert found.message() == "warning: 'data.zzzz' has no value in the 1 sample this rule maps"


def test_one_sample_having_the_value_is_enough():
    other = {"type": "invoice.paid", "data": {}}

    assert unread({"metadata": {"amount": {"path": "data.amount_paid"}}}, other, PAID) == []


def test_samples_the_rule_does_not_match_are_not_evidence():
    refund = {"type": "charge.refunded", "data": {}}

    assert unread({"metadata": {"x": {"path": "data.nope"}}}, refund) == []


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["data.total", "data.amount_paid"], []),
        (
            ["data.total", "extra.sum"],
            [
                "warning: none of 'data.total', 'extra.sum' has a value in the 1 sample"
                " this rule maps"
            ],
        ),
    ],
    ids=["one-fallback-there", "no-fallback-there"],
)
def test_fallbacks_count_as_one_value(paths, expected):
    found = unread({"metadata": {"amount": {"path": paths}}})

    assert [f.message() for f in found] == expected


def test_a_value_with_a_default_may_be_missing_by_design():
    assert unread({"metadata": {"plan": {"path": "data.plan", "default": "free"}}}) == []


def test_template_placeholders_are_judged_at_the_value_that_holds_them():
    event = {"event_name": {"template": "invoice_{{data.stauts}}"}}
    payload = {**PAID, "data": {"status": "paid"}}

    (found,) = unread(event, payload)

    assert (found.where, found.paths, found.suggestion) == (
        "/rules/0/events/0/event_name",
        ("data.stauts",),
        "data.status",
    )


def test_header_paths_are_not_judged():
    assert unread({"metadata": {"topic": {"path": "$headers.x-topic"}}}) == []


def test_the_sample_headers_decide_which_rule_matches():
    rules = ruleset({"metadata": {"x": {"path": "data.nope"}}}, match={"$headers.x-topic": ["a"]})

    assert unread_paths(rules, [Sample(PAID, {"x-topic": "b"})]) == []
    assert len(unread_paths(rules, [Sample(PAID, {"x-topic": "a"})])) == 1


BATCH = {
    "type": "invoice.paid",
    "lines": [{"kind": "seat", "quantity": 2}, {"kind": "addon", "quantty": 1}],
}


@pytest.mark.parametrize(
    ("when", "path", "suggestion"),
    [
        (None, "@.quantity", None),
        ({"@.kind": ["addon"]}, "@.quantity", "@.quantty"),
        ({"@.kind": ["seat"]}, "@.quantty", "@.quantity"),
    ],
    ids=["any-item-has-it", "items-the-when-keeps-lack-it", "the-other-way"],
)
def test_item_paths_are_judged_against_the_items_the_event_maps(when, path, suggestion):
    event: dict[str, Any] = {"for_each": "lines", "metadata": {"n": {"path": path}}}
    if when is not None:
        event["when"] = when

    found = unread(event, BATCH)

    assert [f.suggestion for f in found] == ([] if suggestion is None else [suggestion])


def test_an_event_that_maps_no_item_is_not_evidence():
    event = {"for_each": "lines", "metadata": {"n": {"path": "@.nope"}}}

    assert unread(event, {**BATCH, "lines": []}) == []


def test_defaults_are_judged_against_every_sample_a_rule_maps():
    defaults = {"metadata": {"customer": {"path": "data.custmer"}}}

    (found,) = unread({}, PAID, defaults=defaults)

    assert found.where == "/defaults/metadata/customer"
    assert found.message() == (
        "warning: 'data.custmer' has no value in the 1 sample the rules map"
        " (did you mean 'data.customer'?)"
    )


def test_flatten_paths_are_judged():
    (found,) = unread({"flatten": [{"path": "data.metdata"}]}, {**PAID, "data": {"metadata": {}}})

    assert (found.where, found.suggestion) == ("/rules/0/events/0/flatten/0", "data.metadata")


def test_suggestions_keep_the_rest_of_the_path_and_odd_keys_quoted():
    payload = {"type": "invoice.paid", "data": {"odd key": [{"id": 1}]}}

    (found,) = unread({"metadata": {"x": {"path": "data['odd kee'][0].id"}}}, payload)

    assert found.suggestion == "data['odd key'][0].id"
