from __future__ import annotations

import pytest

from webhook_to_track.rules.match import compile_pattern
from webhook_to_track.rules.problems import Problems

PAYLOAD = {
    "type": "invoice.paid",
    "amount": 4900,
    "flag": True,
    "none": None,
    "tags": ["vip", "beta"],
    "nested": {"status": "Solved"},
}


def matches(pattern) -> bool:
    problems = Problems("t.json")
    predicate = compile_pattern(pattern, "/match", problems)
    assert not problems, problems.items
    return predicate(PAYLOAD)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({}, True),
        ({"type": ["invoice.paid"]}, True),
        ({"type": ["invoice.created", "invoice.paid"]}, True),
        ({"type": ["invoice"]}, False),
        ({"amount": ["4900"]}, False),
        ({"amount": [4900]}, True),
        ({"flag": [1]}, False),
        ({"flag": [True]}, True),
        ({"none": [None]}, True),
        ({"missing": [None]}, False),
        ({"type": [{"prefix": "invoice."}]}, True),
        ({"type": [{"suffix": ".paid"}]}, True),
        ({"nested.status": [{"equals-ignore-case": "solved"}]}, True),
        ({"amount": [{"numeric": [">", 0]}]}, True),
        ({"amount": [{"numeric": [">", 0, "<=", 4900]}]}, True),
        ({"amount": [{"numeric": ["<", 100]}]}, False),
        ({"type": [{"numeric": [">", 0]}]}, False),
        ({"flag": [{"numeric": [">", 0]}]}, False),
        ({"type": [{"anything-but": ["invoice.created"]}]}, True),
        ({"type": [{"anything-but": "invoice.paid"}]}, False),
        ({"missing": [{"anything-but": "x"}]}, False),
        ({"nested": [{"exists": True}]}, True),
        ({"missing": [{"exists": False}]}, True),
        ({"none": [{"exists": True}]}, True),
        ({"tags": ["beta"]}, True),
        ({"tags": ["alpha"]}, False),
        ({"type": ["invoice.paid"], "amount": [0]}, False),
        ({"$or": [{"type": ["x"]}, {"amount": [4900]}]}, True),
        ({"$or": [{"type": ["x"]}, {"amount": [1]}]}, False),
    ],
)
def test_pattern(pattern, expected):
    assert matches(pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ({"type": "invoice.paid"}, "/match/type: expected a non-empty list of alternatives"),
        ({"type": []}, "non-empty list"),
        ({"type": [{"prefx": "a"}]}, "unknown operator 'prefx' (did you mean 'prefix'?)"),
        ({"type": [{"prefix": ""}]}, "prefix takes a non-empty string"),
        ({"a": [{"numeric": [">"]}]}, "numeric takes"),
        ({"a": [{"numeric": ["~", 1]}]}, "/match/a/0/numeric/0"),
        ({"a": [{"exists": True}, "x"]}, "exists must be alone"),
        ({"a": [{"anything-but": []}]}, "anything-but takes"),
        ({"a": [[1]]}, "an alternative is a JSON primitive"),
        ({"$or": [{"a": [1]}]}, "$or takes a list of at least two"),
        ({"a..b": [1]}, "/match/a..b"),
        ([], "a pattern is an object"),
    ],
)
def test_bad_patterns_are_reported_with_pointer(pattern, message):
    problems = Problems("t.json")

    compile_pattern(pattern, "/match", problems)

    assert any(message in item for item in problems.items), problems.items
