from __future__ import annotations

import pytest

from webhook_to_track.rules.paths import MISSING
from webhook_to_track.rules.problems import Problems
from webhook_to_track.rules.transforms import compile_chain, compile_transform


def apply(spec, value, payload=None):
    problems = Problems("t.json")
    transform = compile_transform(spec, "/x", problems)
    assert not problems, problems.items
    return transform(value, payload)


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("lowercase", "ABC", "abc"),
        ("uppercase", "abc", "ABC"),
        ("trim", "  a ", "a"),
        ("lowercase", 5, MISSING),
        ("to_string", 5, "5"),
        ("to_string", True, "true"),
        ("to_string", {"a": 1}, MISSING),
        ("to_number", "12", 12),
        ("to_number", "1.5", 1.5),
        ("to_number", "nan", MISSING),
        ("to_number", "x", MISSING),
        ("to_number", True, MISSING),
        ("to_int", "7.9", 7),
        ("to_int", 7.9, 7),
        ("unix_to_iso", 1724155203, "2024-08-20T12:00:03.000Z"),
        ("unix_to_iso", "1724155203", "2024-08-20T12:00:03.000Z"),
        ("unix_ms_to_iso", 1724155203123, "2024-08-20T12:00:03.123Z"),
        ("unix_to_iso", -1, MISSING),
        ("unix_to_iso", 10**13, MISSING),
        ("unix_to_iso", "soon", MISSING),
        ({"cents_to_amount": {"exponent": 2}}, 4900, 49.0),
        ({"cents_to_amount": {"exponent": 0}}, 4900, 4900),
        ({"cents_to_amount": {}}, 1999, 19.99),
        ({"cents_to_amount": {}}, "1999", MISSING),
        ({"cents_to_amount": {}}, True, MISSING),
    ],
)
def test_transform(spec, value, expected):
    assert apply(spec, value) == expected


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("usd", 49.0), ("JPY", 4900), ("krw", 4900), ("kwd", 4.9), (None, 49.0)],
)
def test_cents_to_amount_knows_zero_and_three_decimal_currencies(currency, amount):
    spec = {"cents_to_amount": {"currency_path": "currency"}}

    assert apply(spec, 4900, {"currency": currency}) == amount


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lowercse", "unknown transform 'lowercse' (did you mean 'lowercase'?)"),
        ({"lowercase": True}, "takes no argument"),
        ({"cents_to_amount": {"exponent": 9}}, "exponent must be an integer from 0 to 4"),
        ({"cents_to_amount": {"currency": "x"}}, "takes {currency_path} or {exponent}"),
        ({"cents_to_amount": {"currency_path": "a..b"}}, "/x/cents_to_amount/currency_path"),
        ({"a": 1, "b": 2}, "a transform is a name or a one-key object"),
        (5, "a transform is a name"),
    ],
)
def test_bad_transforms_are_reported(spec, message):
    problems = Problems("t.json")

    assert compile_transform(spec, "/x", problems) is None
    assert message in problems.items[0]


def test_chain_must_be_a_short_list():
    problems = Problems("t.json")
    compile_chain("trim", "/x", problems)
    compile_chain(["trim"] * 11, "/y", problems)

    assert ["transform must be a list" in problems.items[0], "at most 10" in problems.items[1]] == [
        True,
        True,
    ]
