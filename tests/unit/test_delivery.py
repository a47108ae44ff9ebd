"""Parsing a verified body (JSON or a form encoding) and finding the sender's delivery id."""

from __future__ import annotations

import hashlib
import sys
from urllib.parse import quote_from_bytes

import pytest

from tests.factories import make_event
from webhook_to_track.delivery import BODY_FORMATS, DeliveryIdSpec, parse_body, parse_json
from webhook_to_track.errors import MalformedBodyError
from webhook_to_track.request import parse_request
from webhook_to_track.rules.paths import parse_path


def request(body: bytes, **headers: str):
    return parse_request(make_event(body, headers=headers), max_body_bytes=10**6)


# --- JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_bodies_that_are_not_json_are_malformed(body, message):
    with pytest.raises(MalformedBodyError, match=message):
        parse_json(body)
    with pytest.raises(MalformedBodyError, match=message):
        parse_body(body, "json")


def test_json_is_parsed_from_the_raw_bytes():
    body = '{"note": "caf\\u00e9 \U0001f389", "n": 1}'.encode()

    assert parse_body(body, "json") == {"note": "caf\u00e9 \U0001f389", "n": 1}


# Each refused body below is this valid one with one number changed.
NUMBERS = b'{"id": "evt_1", "amount": 12.5, "count": 3}'
INT_DIGITS = sys.get_int_max_str_digits()  # 4300 unless PYTHONINTMAXSTRDIGITS says otherwise


def with_amount(number: bytes) -> bytes:
    return NUMBERS.replace(b"12.5", number)


def test_the_numbers_baseline_parses():
    assert parse_json(NUMBERS) == {"id": "evt_1", "amount": 12.5, "count": 3}


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (b"NaN", "NaN is not a JSON number"),
        (b"Infinity", "Infinity is not a JSON number"),
        (b"-Infinity", "-Infinity is not a JSON number"),
        (b"1e999", "too large for a float"),
        (b"-1e999", "too large for a float"),
        (b"1" + b"0" * 400 + b".5", "too large for a float"),
        (b"1" * 5000, f"integer longer than {INT_DIGITS} digits"),
        (b"-" + b"1" * (INT_DIGITS + 1), f"integer longer than {INT_DIGITS} digits"),
    ],
    ids=[
        "nan",
        "infinity",
        "-infinity",
        "1e999",
        "-1e999",
        "401-digit-float",
        "5000-digits",
        "limit+1",
    ],
)
def test_numbers_json_forbids_or_python_cannot_hold_are_malformed(number, message):
    body = with_amount(number)

    with pytest.raises(MalformedBodyError, match=message) as caught:
        parse_json(body)
    assert caught.value.status_code == 400
    with pytest.raises(MalformedBodyError, match=message):
        parse_body(body, "json")


@pytest.mark.skipif(INT_DIGITS == 0, reason="the int digit limit is off")
def test_an_integer_at_the_digit_limit_parses():
    assert parse_json(with_amount(b"9" * INT_DIGITS))["amount"] == int("9" * INT_DIGITS)


@pytest.mark.parametrize(
    ("number", "value"),
    [
        (b"1.7976931348623157e308", 1.7976931348623157e308),  # the largest float
        (b"-1e308", -1e308),
        (b"1e-999", 0.0),  # underflow is zero, not an error
        (b"-0.0", -0.0),
        (b"1E+2", 100.0),
    ],
)
def test_floats_up_to_the_float_range_parse(number, value):
    assert parse_json(with_amount(number))["amount"] == value


def test_nan_and_infinity_inside_strings_are_text():
    body = NUMBERS.replace(b'"evt_1"', b'"NaN Infinity -Infinity 1e999"')

    assert parse_json(body)["id"] == "NaN Infinity -Infinity 1e999"


def test_a_form_payload_with_nan_is_malformed():
    with pytest.raises(MalformedBodyError, match="NaN is not a JSON number"):
        parse_body(b"payload=" + quote_from_bytes(with_amount(b"NaN")).encode(), "form-payload")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_json_in_the_encodings_json_loads_detects_still_parses(encoding):
    assert parse_json(NUMBERS.decode().encode(encoding)) == parse_json(NUMBERS)


# --- forms --------------------------------------------------------------------------------------


def test_a_form_is_a_dict_of_strings_and_repeated_names_are_lists():
    body = b"a=1&b=caf%C3%A9+%F0%9F%8E%89&a=2&empty=&a=3&plus=%2B1"

    assert parse_body(body, "form") == {
        "a": ["1", "2", "3"],
        "b": "caf\u00e9 \U0001f389",
        "empty": "",
        "plus": "+1",
    }


def test_an_empty_form_is_an_empty_dict():
    assert parse_body(b"", "form") == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"a=\xff", "not UTF-8"),
        (b"a=%FF", "not UTF-8"),
        (b"a&b=1", "name=value"),
        (b"a=1&&b=2", "name=value"),
    ],
)
@pytest.mark.parametrize("body_format", ["form", "form-payload", "form-brackets"])
def test_bad_forms_are_malformed(body, message, body_format):
    with pytest.raises(MalformedBodyError, match=message):
        parse_body(body, body_format)


def test_form_payload_is_the_json_in_the_payload_field():
    # GitHub's form content type and Slack interactivity post payload=<urlencoded JSON>
    body = b"payload=%7B%22action%22%3A%22opened%22%2C%22n%22%3A%5B1%2C2%5D%7D"

    assert parse_body(body, "form-payload") == {"action": "opened", "n": [1, 2]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"other=1", "no single payload"),
        (b"payload=1&payload=2", "no single payload"),
        (b"payload=%7B", "not valid JSON"),
        (b"payload=", "empty"),
    ],
)
def test_form_payload_without_one_json_payload_is_malformed(body, message):
    with pytest.raises(MalformedBodyError, match=message):
        parse_body(body, "form-payload")


def test_form_brackets_nest_like_maxio_sends_them():
    body = (
        b"id=81&event=signup_success"
        b"&payload[subscription][id]=4900"
        b"&payload%5Bsubscription%5D%5Bproduct%5D%5Bname%5D=Basic+Plan"
        b"&payload[subscription][tags][]=a&payload[subscription][tags][]=b"
        b"&payload[site][subdomain]=acme"
    )

    assert parse_body(body, "form-brackets") == {
        "id": "81",
        "event": "signup_success",
        "payload": {
            "subscription": {"id": "4900", "product": {"name": "Basic Plan"}, "tags": ["a", "b"]},
            "site": {"subdomain": "acme"},
        },
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"a=1&a[b]=2", "nests under a plain value"),
        (b"a[b]=2&a=1", "both a value and an object"),
        (b"[a]=1", "is not name"),
        (b"a[b]c=1", "is not name"),
        (b"a[b=1", "is not name"),
        (b"a[][b]=1", "only the last"),
        (b"a" + b"[x]" * 40 + b"=1", "is not name"),
    ],
)
def test_inconsistent_bracket_names_are_malformed(body, message):
    with pytest.raises(MalformedBodyError, match=message):
        parse_body(body, "form-brackets")


def test_repeated_bracket_leaves_become_lists():
    assert parse_body(b"a[b]=1&a[b]=2&a[b][]=3", "form-brackets") == {"a": {"b": ["1", "2", "3"]}}


def test_an_unknown_body_format_is_a_programming_error():
    assert BODY_FORMATS == ("json", "form", "form-payload", "form-brackets")
    with pytest.raises(ValueError, match="unknown body format 'xml'"):
        parse_body(b"<a/>", "xml")


# --- delivery ids -------------------------------------------------------------------------------


def test_delivery_id_from_a_body_path():
    spec = DeliveryIdSpec(path=parse_path("id"))

    assert spec.find({"id": "evt_1"}, request(b"{}")) == "evt_1"
    assert spec.find({"id": 42}, request(b"{}")) == "42"


def test_delivery_id_from_a_header():
    spec = DeliveryIdSpec(headers=("x-github-delivery",))

    assert spec.find({}, request(b"{}", **{"X-GitHub-Delivery": "abc"})) == "abc"


def test_delivery_id_from_the_first_of_several_header_names():
    spec = DeliveryIdSpec(headers=("webhook-id", "svix-id"))

    assert spec.find({}, request(b"{}", **{"svix-id": "msg_svix"})) == "msg_svix"
    assert spec.find({}, request(b"{}", **{"webhook-id": "msg_a", "svix-id": "b"})) == "msg_a"


@pytest.mark.parametrize("payload", [{}, {"id": ""}, {"id": None}, {"id": True}, {"id": {"x": 1}}])
def test_without_an_id_the_body_hash_is_the_key(payload):
    body = b'{"no": "id"}'

    key = DeliveryIdSpec(path=parse_path("id")).find(payload, request(body))

    assert key == "sha256:" + hashlib.sha256(body).hexdigest()


def test_a_spec_without_path_or_header_is_the_body_hash():
    body = b'{"hubspot": "array"}'

    assert DeliveryIdSpec().find([{"eventId": 1}], request(body)) == (
        "sha256:" + hashlib.sha256(body).hexdigest()
    )
    assert DeliveryIdSpec(headers=("x-none",)).find({}, request(body)).startswith("sha256:")


def test_batch_id_hashes_the_elements_ids_and_ignores_other_changes():
    from tests.factories import make_event as event
    from webhook_to_track.delivery import DeliveryIdSpec as Spec
    from webhook_to_track.request import parse_request as parse

    spec = Spec(each=parse_path("eventId"))
    first = [{"eventId": 1, "attemptNumber": 0}, {"eventId": 2, "attemptNumber": 0}]
    retry = [{"eventId": 1, "attemptNumber": 1}, {"eventId": 2, "attemptNumber": 1}]
    other = [{"eventId": 1, "attemptNumber": 0}, {"eventId": 3, "attemptNumber": 0}]
    req = parse(event(b"[]", headers={}), max_body_bytes=10**6)

    assert spec.find(first, req) == spec.find(retry, req)
    assert spec.find(first, req).startswith("ids:")
    assert spec.find(first, req) != spec.find(other, req)
    # an element without an id (or a body that is not an array): the body hash
    assert spec.find([{"eventId": 1}, {}], req).startswith("sha256:")
    assert spec.find({"eventId": 1}, req).startswith("sha256:")
