"""The closed transform list: results, FAILED on values they cannot convert, argument checks."""

from __future__ import annotations

import math

import pytest

from webhook_to_track.rules.paths import MISSING
from webhook_to_track.rules.problems import Problems
from webhook_to_track.rules.transforms import FAILED, NAMES, compile_chain, compile_transform


def apply(spec, value, payload=None):
    problems = Problems("t.json")
    transform = compile_transform(spec, "/x", problems)
    assert not problems, problems.items
    assert transform is not None
    return transform.apply(value, payload, payload)


TABLE = {"cancellation_requested": "customer_requested", "1": "one", "true": "yes"}


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        # text
        ("lowercase", "ABC", "abc"),
        ("uppercase", "abc", "ABC"),
        ("trim", "  a \n", "a"),
        ("lowercase", 5, FAILED),
        ("trim", ["a"], FAILED),
        ({"truncate": 3}, "abcdef", "abc"),
        ({"truncate": 3}, "ab", "ab"),
        ({"truncate": 3}, 12345, FAILED),
        (
            {"replace": {"from": ".", "to": "_"}},
            "stripe.checkout.session",
            "stripe_checkout_session",
        ),
        ({"replace": {"from": "a.*", "to": ""}}, "xa.*y", "xy"),  # literal, not a regex
        ({"replace": {"from": " ", "to": ","}}, "billing vip", "billing,vip"),
        ({"replace": {"from": "1", "to": "one"}}, 10, "one0"),
        ({"replace": {"from": "t", "to": "T"}}, True, "True"),
        ({"replace": {"from": "a", "to": "b" * 100}}, "a" * 1000, FAILED),  # would exceed 65,536
        ({"replace": {"from": "a", "to": "b"}}, {"a": 1}, FAILED),
        # types
        ("to_string", 5, "5"),
        ("to_string", 1.5, "1.5"),
        ("to_string", True, "true"),
        ("to_string", "x", "x"),
        ("to_string", {"a": 1}, FAILED),
        ("to_number", "12", 12),
        ("to_number", " -1.5e2 ", -150.0),
        ("to_number", 7, 7),
        ("to_number", "1_000", FAILED),
        ("to_number", "nan", FAILED),
        ("to_number", "Infinity", FAILED),
        ("to_number", math.inf, FAILED),
        ("to_number", "x", FAILED),
        ("to_number", True, FAILED),
        ("to_number", "1" * 65, FAILED),
        ("to_int", "7.9", 7),
        ("to_int", -7.9, -7),
        ("to_int", "12", 12),
        ("to_int", math.nan, FAILED),
        ("to_bool", "TRUE", True),
        ("to_bool", " no ", False),
        ("to_bool", 1, True),
        ("to_bool", 0.0, False),
        ("to_bool", 2, FAILED),
        ("to_bool", False, False),
        ("to_bool", "maybe", FAILED),
        ({"round": 2}, 1.23456, 1.23),
        ({"round": 0}, 2.5, 2),
        ({"round": 1}, "1.25", FAILED),
        ({"round": 1}, math.inf, FAILED),
        # time
        ("unix_to_iso", 1724155203, "2024-08-20T12:00:03.000Z"),
        ("unix_to_iso", "1724155203", "2024-08-20T12:00:03.000Z"),
        ("unix_to_iso", 1724155203.5, "2024-08-20T12:00:03.500Z"),
        ("unix_to_iso", 0, "1970-01-01T00:00:00.000Z"),
        ("unix_ms_to_iso", 1724155203123, "2024-08-20T12:00:03.123Z"),
        ("unix_ms_to_iso", 1724155203123.0, "2024-08-20T12:00:03.123Z"),
        ("unix_to_iso", -1, FAILED),
        ("unix_to_iso", 10**13, FAILED),
        ("unix_to_iso", "soon", FAILED),
        ("unix_to_iso", True, FAILED),
        ("iso_to_unix", "2024-08-20T12:00:03Z", 1724155203),
        ("iso_to_unix", "2024-08-20T12:00:03.999+00:00", 1724155203),
        ("iso_to_unix", "2024-08-20T14:00:03+02:00", 1724155203),
        ("iso_to_unix", "2024-08-20T12:00:03", 1724155203),  # naive means UTC
        ("iso_to_unix", "2024-08-20", 1724112000),
        ("iso_to_unix_ms", "2024-08-20T12:00:03.123Z", 1724155203123),
        ("iso_to_unix", "yesterday", FAILED),
        ("iso_to_unix", 1724155203, FAILED),
        ("iso_to_unix", "1969-12-31T23:59:59Z", -1),
        ("iso_to_unix", "x" * 65, FAILED),
        # money
        ({"cents_to_amount": {"exponent": 2}}, 4900, 49.0),
        ({"cents_to_amount": {"exponent": 0}}, 4900, 4900),
        ({"cents_to_amount": {}}, 1999, 19.99),
        ("cents_to_amount", 1999, 19.99),
        ({"cents_to_amount": {}}, "1999", FAILED),
        ({"cents_to_amount": {}}, True, FAILED),
        # lookup table
        ({"map": {"table": TABLE}}, "cancellation_requested", "customer_requested"),
        ({"map": {"table": TABLE}}, 1, "one"),
        ({"map": {"table": TABLE}}, True, "yes"),
        ({"map": {"table": TABLE}}, "other", FAILED),
        ({"map": {"table": TABLE, "default": "other"}}, "unknown", "other"),
        ({"map": {"table": TABLE, "default": "other"}}, {"a": 1}, FAILED),
        # arrays and encoding
        ("first", [3, 4], 3),
        ("first", [], MISSING),
        ("first", "solo", "solo"),
        ("count", [1, 2, 3], 3),
        ("count", {"a": 1}, 1),
        ("count", "subject", 7),
        ("count", 5, FAILED),
        ("join", ["a", 1, True, None], "a,1,true"),
        ({"join": " | "}, ["a", "b"], "a | b"),
        ("join", [{"a": 1}], FAILED),
        ("join", "a", FAILED),
        ("json", {"b": [1, None], "a": "é"}, '{"a":"é","b":[1,null]}'),
        ("json", math.nan, FAILED),
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


def test_cents_to_amount_reads_the_currency_of_the_item():
    problems = Problems("t.json")
    transform = compile_transform({"cents_to_amount": {"currency_path": "@.cur"}}, "/x", problems)

    assert transform is not None
    assert transform.apply(500, {"cur": "usd"}, {"cur": "jpy"}) == 500


def test_map_lists_its_outputs_for_event_name_listing():
    problems = Problems("t.json")
    transform = compile_transform(
        {"map": {"table": {"a": "x", "b": "y"}, "default": "z"}}, "/x", problems
    )

    assert transform is not None
    assert transform.outputs == ("x", "y", "z")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lowercse", "/x: unknown transform 'lowercse' (did you mean 'lowercase'?)"),
        ("cents_to_amout", "(did you mean 'cents_to_amount'?)"),
        ({"lowercase": True}, "/x: transform 'lowercase' takes no argument; write it as a string"),
        ("truncate", "/x: transform 'truncate' needs an argument"),
        ({"truncate": 0}, "/x/truncate: truncate takes an integer from 1 to 1024"),
        ({"truncate": "10"}, "/x/truncate: truncate takes an integer from 1 to 1024"),
        ({"round": 11}, "/x/round: round takes an integer from 0 to 10"),
        ({"cents_to_amount": {"exponent": 9}}, "exponent must be an integer from 0 to 4"),
        ({"cents_to_amount": {"currency": "x"}}, "takes {currency_path} or {exponent}"),
        ({"cents_to_amount": {"currency_path": "a..b"}}, "/x/cents_to_amount/currency_path"),
        ({"replace": {"from": "."}}, '/x/replace: replace takes {"from": "text", "to": "text"}'),
        ({"replace": {"from": "", "to": "x"}}, "/x/replace: replace takes"),
        ({"replace": {"pattern": "a", "to": "b"}}, "/x/replace: replace takes"),
        ({"map": {"a": "b"}}, '/x/map: map takes {"table"'),
        ({"map": {"table": {}}}, "/x/map/table: a table has 1 to 1000 entries"),
        ({"map": {"table": {"a": [1]}}}, "/x/map/table/a: table results must be JSON primitives"),
        ({"map": {"table": {"a": 1}, "default": {}}}, "/x/map/default: default must be"),
        ({"join": 5}, "/x/join: join takes a separator"),
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

    assert problems.items == [
        "t.json: /x: transform must be a list of transforms, applied in order",
        "t.json: /y: at most 10 transforms per value",
    ]


def test_the_list_is_closed():
    assert set(NAMES) == {
        "lowercase", "uppercase", "trim", "truncate", "replace", "to_string", "to_number",
        "to_int", "to_bool", "round", "unix_to_iso", "unix_ms_to_iso", "iso_to_unix",
        "iso_to_unix_ms", "cents_to_amount", "map", "join", "first", "count", "json",
    }  # fmt: skip
