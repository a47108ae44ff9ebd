"""Patterns: EventBridge operators with strict JSON equality, $or, the nested form, item scope."""

from __future__ import annotations

import pytest

from webhook_to_track.rules.match import compile_pattern
from webhook_to_track.rules.problems import Problems

PAYLOAD = {
    "type": "invoice.paid",
    "amount": 4900,
    "ratio": 0.5,
    "flag": True,
    "none": None,
    "empty": "",
    "tags": ["vip", "beta"],
    "nested": {"status": "Solved"},
    "id": "in_1PqR7p",
}
ITEM = {"subscriptionType": "contact.propertyChange", "propertyName": "lifecyclestage"}


def matches(pattern, item=None) -> bool:
    problems = Problems("t.json")
    compiled = compile_pattern(pattern, "/match", problems, item_scope=item is not None)
    assert not problems, problems.items
    return compiled.test(PAYLOAD, PAYLOAD if item is None else item)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({}, True),
        # exact values: strict JSON equality
        ({"type": ["invoice.paid"]}, True),
        ({"type": ["invoice.created", "invoice.paid"]}, True),
        ({"type": ["invoice"]}, False),
        ({"amount": ["4900"]}, False),
        ({"amount": [4900]}, True),
        ({"amount": [4900.0]}, True),
        ({"flag": [1]}, False),
        ({"flag": [True]}, True),
        ({"amount": [True]}, False),
        ({"none": [None]}, True),
        ({"missing": [None]}, False),
        ({"empty": [""]}, True),
        ({"none": [""]}, False),
        # strings
        ({"type": [{"prefix": "invoice."}]}, True),
        ({"type": [{"prefix": "INVOICE."}]}, False),
        ({"type": [{"prefix": {"equals-ignore-case": "INVOICE."}}]}, True),
        ({"type": [{"suffix": ".paid"}]}, True),
        ({"type": [{"suffix": {"equals-ignore-case": ".PAID"}}]}, True),
        ({"nested.status": [{"equals-ignore-case": "solved"}]}, True),
        ({"amount": [{"prefix": "49"}]}, False),
        ({"type": [{"wildcard": "invoice.*"}]}, True),
        ({"type": [{"wildcard": "*.pa*d"}]}, True),
        ({"type": [{"wildcard": "*voice*paid"}]}, True),
        ({"type": [{"wildcard": "in*x*paid"}]}, False),
        ({"type": [{"wildcard": "invoice.paid*"}]}, True),
        ({"id": [{"wildcard": "in_*R*p"}]}, True),
        ({"id": [{"wildcard": "in_*p*p"}]}, False),  # the last p is the tail's
        ({"id": [{"wildcard": "in_*p*q"}]}, False),
        # numbers
        ({"amount": [{"numeric": [">", 0]}]}, True),
        ({"amount": [{"numeric": ["=", 4900]}]}, True),
        ({"amount": [{"numeric": [">", 0, "<=", 4900]}]}, True),
        ({"amount": [{"numeric": [">", 0, "<", 4900]}]}, False),
        ({"ratio": [{"numeric": [">=", 0.5, "<", 1]}]}, True),
        ({"amount": [{"numeric": ["<", 100]}]}, False),
        ({"type": [{"numeric": [">", 0]}]}, False),
        ({"flag": [{"numeric": [">", 0]}]}, False),
        # anything-but
        ({"type": [{"anything-but": ["invoice.created"]}]}, True),
        ({"type": [{"anything-but": "invoice.paid"}]}, False),
        ({"amount": [{"anything-but": "4900"}]}, True),
        ({"type": [{"anything-but": {"prefix": "invoice."}}]}, False),
        ({"type": [{"anything-but": {"prefix": "charge."}}]}, True),
        ({"type": [{"anything-but": {"suffix": ".paid"}}]}, False),
        ({"type": [{"anything-but": {"equals-ignore-case": "INVOICE.PAID"}}]}, False),
        ({"type": [{"anything-but": {"wildcard": "*.created"}}]}, True),
        ({"missing": [{"anything-but": "x"}]}, False),
        # exists: any node, null included
        ({"nested": [{"exists": True}]}, True),
        ({"nested.status": [{"exists": True}]}, True),
        ({"missing": [{"exists": False}]}, True),
        ({"missing": [{"exists": True}]}, False),
        ({"none": [{"exists": True}]}, True),
        ({"none": [{"exists": False}]}, False),
        # arrays: any element
        ({"tags": ["beta"]}, True),
        ({"tags": ["alpha"]}, False),
        ({"tags": [{"prefix": "v"}]}, True),
        # AND of keys, OR of branches
        ({"type": ["invoice.paid"], "amount": [0]}, False),
        ({"$or": [{"type": ["x"]}, {"amount": [4900]}]}, True),
        ({"$or": [{"type": ["x"]}, {"amount": [1]}]}, False),
        ({"type": ["invoice.paid"], "$or": [{"flag": [False]}, {"none": [None]}]}, True),
        # the nested form pasted from EventBridge
        ({"nested": {"status": ["Solved"]}}, True),
        ({"nested": {"status": ["solved"]}}, False),
        ({"nested": {"$or": [{"status": ["x"]}, {"status": ["Solved"]}]}}, True),
    ],
)
def test_pattern(pattern, expected):
    assert matches(pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"@.subscriptionType": ["contact.propertyChange"]}, True),
        ({"@.propertyName": [{"anything-but": ["lifecyclestage"]}]}, False),
        ({"@.subscriptionType": [{"prefix": "contact."}], "type": ["invoice.paid"]}, True),
        ({"@.missing": [{"exists": False}]}, True),
    ],
)
def test_item_patterns_test_the_current_item(pattern, expected):
    assert matches(pattern, ITEM) is expected


def test_exact_keys_are_exposed_for_name_listing():
    problems = Problems("t.json")

    pattern = compile_pattern(
        {"type": ["a", "b"], "n": [1, {"numeric": [">", 0]}], "$or": [{"x": [1]}, {"x": [2]}]},
        "/match",
        problems,
    )

    assert [(path.text, values) for path, values in pattern.exact] == [("type", ("a", "b"))]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ({"type": "invoice.paid"}, "/match/type: expected a non-empty list of alternatives"),
        ({"type": []}, "non-empty list"),
        ({"type": {"prefix": "in"}}, "/match/type: expected a non-empty list of alternatives"),
        ({"type": [{"prefx": "a"}]}, "unknown operator 'prefx' (did you mean 'prefix'?)"),
        ({"type": [{"prefix": ""}]}, "prefix takes a non-empty string"),
        ({"type": [{"prefix": {"ignore-case": "a"}}]}, '{"equals-ignore-case": "text"}'),
        ({"type": [{"wildcard": "a**b"}]}, "never two in a row"),
        ({"a": [{"numeric": [">"]}]}, "numeric takes"),
        ({"a": [{"numeric": ["~", 1]}]}, "/match/a/0/numeric/0"),
        ({"a": [{"numeric": ["<", 1, ">", 0]}]}, "a range"),
        ({"a": [{"numeric": [">", True]}]}, "/match/a/0/numeric/0"),
        ({"a": [{"exists": True}, "x"]}, "exists must be alone"),
        ({"a": [{"exists": "yes"}]}, "exists must be alone"),
        ({"a": [{"anything-but": []}]}, "anything-but takes"),
        ({"a": [{"anything-but": {"numeric": [">", 1]}}]}, "anything-but takes a value, a list"),
        ({"a": [[1]]}, "an alternative is a JSON primitive"),
        ({"a": [{"prefix": "x", "suffix": "y"}]}, "one-key operator object"),
        ({"a": list(range(101))}, "at most 100 alternatives"),
        ({"$or": [{"a": [1]}]}, "$or takes a list of at least two"),
        ({"$or": [{"a": [1]}, "b"]}, "/match/$or/1: a pattern is an object"),
        ({"a..b": [1]}, "/match/a..b"),
        ({"@.x": [1]}, "'@.x' reads the for_each item, but there is no for_each here"),
        ([], "a pattern is an object"),
    ],
)
def test_bad_patterns_are_reported_with_pointer(pattern, message):
    problems = Problems("t.json")

    compile_pattern(pattern, "/match", problems)

    assert any(message in item for item in problems.items), problems.items
