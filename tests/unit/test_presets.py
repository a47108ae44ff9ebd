"""Every preset: what its sender signs is accepted, and changing any one ingredient is rejected."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.unit.signatures.factory import (
    BASIC_AUTH,
    MULTI_SIGNATURE,
    NOW,
    OTHER_URL,
    PREFIX,
    SIGNATURE_HEADER,
    TIMESTAMP_UNIT,
    UNSIGNED,
    URL,
    URL_SIGNED,
    case,
    replace_in,
    rest_api_event,
    title_case,
)
from webhook_to_track.delivery import BODY_FORMATS, parse_body
from webhook_to_track.errors import (
    MalformedSignatureError,
    MissingSignatureError,
    NoSecretError,
    SignatureMismatchError,
    TimestampOutOfToleranceError,
)
from webhook_to_track.local.events import make_apigw_event
from webhook_to_track.presets import PRESETS
from webhook_to_track.request import parse_request
from webhook_to_track.signatures.timestamps import format_timestamp

ALL = sorted(PRESETS)
SIGNED = [n for n in ALL if n not in UNSIGNED]
TIMESTAMPED = sorted(TIMESTAMP_UNIT)
UNPREFIXED_HMAC = [n for n in SIGNED if n not in PREFIX]


def test_the_tables_cover_every_preset_exactly():
    assert sorted(SIGNATURE_HEADER) == ALL
    assert sorted(n for n in ALL if "tolerance_s" in PRESETS[n].options) == TIMESTAMPED
    signs_url = [
        n for n in ALL if "url" in PRESETS[n].options and PRESETS[n].options["url"].required
    ]
    assert sorted(signs_url) == sorted(URL_SIGNED)


def test_the_required_senders_have_presets():
    required = {
        "stripe", "standard-webhooks", "svix", "clerk", "resend", "zendesk", "intercom",
        "hubspot", "hubspot-v2", "chargebee", "paddle", "recurly", "shopify", "helpscout",
        "front-app", "front-rule", "freshdesk", "freshdesk-token", "slack", "github", "twilio",
        "square", "maxio", "calendly", "typeform", "lemonsqueezy",
    }  # fmt: skip
    assert required <= set(PRESETS)


@pytest.mark.parametrize("name", ALL)
def test_preset_metadata_is_complete(name):
    preset = PRESETS[name]

    assert preset.name == name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert preset.body_format in BODY_FORMATS
    assert preset.summary
    assert len(preset.secret_help) > 10
    assert preset.user_agent
    assert preset.content_type.startswith(
        "application/json" if preset.body_format == "json" else "application/x-www-form"
    )
    assert set(preset.delivery_id) <= {"path", "header", "each"}


# --- accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_what_the_sender_sends_is_accepted(name):
    c = case(name)

    c.verifier().verify(c.body, c.sign())


@pytest.mark.parametrize("name", ALL)
def test_the_signed_body_parses_in_the_presets_body_format(name):
    c = case(name)

    assert parse_body(c.body, c.preset.body_format)


@pytest.mark.parametrize("name", ALL)
def test_signing_is_deterministic_and_headers_are_lowercase(name):
    c = case(name)

    assert c.sign() == c.sign()
    assert all(h == h.lower() for h in c.sign())
    assert c.header in c.sign()


@pytest.mark.parametrize(
    ("name", "id_header"),
    [
        ("github", "x-github-delivery"),
        ("shopify", "x-shopify-event-id"),
        ("standard-webhooks", "webhook-id"),
        ("svix", "svix-id"),
        ("zendesk", "x-zendesk-webhook-invocation-id"),
    ],
)
def test_signed_samples_carry_a_delivery_id_derived_from_the_body(name, id_header):
    c = case(name)

    first, again, other = c.sign(), c.sign(), c.sign(c.body + b" ")

    assert first[id_header] == again[id_header] != other[id_header]
    declared = c.preset.delivery_id["header"]
    assert id_header == (declared if isinstance(declared, str) else declared[0])


@pytest.mark.parametrize("name", ALL)
def test_mixed_case_header_names_from_a_rest_api_are_accepted(name):
    # API Gateway REST API keeps the sender's case; parse_request lowercases names once.
    c = case(name)
    headers = {title_case(k): v for k, v in c.sign().items()}

    request = parse_request(rest_api_event(name, c.body, headers), max_body_bytes=10**6)

    assert request.body == c.body
    c.verifier().verify(request.body, request.headers)


@pytest.mark.parametrize("name", ALL)
def test_base64_encoded_lambda_bodies_are_verified_after_decoding(name):
    c = case(name)
    event = make_apigw_event(name, c.body, c.sign(), base64_body=True)

    request = parse_request(event, max_body_bytes=10**6)

    assert event["isBase64Encoded"]
    c.verifier().verify(request.body, request.headers)


@pytest.mark.parametrize("name", [n for n in ALL if n != "twilio"])
@pytest.mark.parametrize(
    "body",
    ['{"note": "\U0001f389 caf\u00e9 \u2028"}'.encode(), b"\xff\xfe not utf-8 \x80", b""],
    ids=["emoji", "not-utf8", "empty"],
)
def test_any_body_bytes_can_be_verified(name, body):
    c = case(name)

    c.verifier().verify(body, c.sign(body))


def test_twilio_form_parameters_must_be_utf8_to_be_checked():
    # Twilio signs the decoded parameters, so a body that does not decode cannot be checked.
    c = case("twilio")

    with pytest.raises(MalformedSignatureError, match="form body"):
        c.verifier().verify(b"Body=%FF", {c.header: "A" * 27 + "="})


# --- one ingredient changed ---------------------------------------------------------------------


@pytest.mark.parametrize("name", SIGNED)
def test_one_changed_body_byte_is_rejected(name):
    c = case(name)
    headers = c.sign()
    tampered = c.body.replace(b"4900", b"4901", 1)

    assert tampered != c.body
    with pytest.raises(SignatureMismatchError):
        c.verifier().verify(tampered, headers)


@pytest.mark.parametrize("name", UNSIGNED)
def test_senders_that_do_not_sign_protect_only_by_credential(name):
    # Documented limitation: Basic auth and shared tokens do not cover the body.
    c = case(name)

    c.verifier().verify(c.body.replace(b"4900", b"4901", 1), c.sign())


@pytest.mark.parametrize("name", ALL)
def test_another_secret_is_rejected(name):
    c = case(name)

    with pytest.raises(SignatureMismatchError):
        c.verifier().verify(c.body, c.sign(secret=c.other_secret))


@pytest.mark.parametrize("name", TIMESTAMPED)
def test_a_changed_timestamp_is_rejected(name):
    c = case(name)
    unit = TIMESTAMP_UNIT[name]
    headers = c.sign()
    sent, later = format_timestamp(NOW, unit), format_timestamp(NOW + 1, unit)
    where = next(k for k, v in headers.items() if sent in v)

    with pytest.raises(SignatureMismatchError):
        c.verifier().verify(c.body, replace_in(headers, where, sent, later))


@pytest.mark.parametrize("name", sorted(PREFIX))
def test_another_prefix_is_rejected(name):
    c = case(name)
    prefix = PREFIX[name]
    wrong = "sha512" + prefix[-1] if prefix.startswith("sha") else "v9" + prefix[-1]

    with pytest.raises(MalformedSignatureError):
        c.verifier().verify(c.body, replace_in(c.sign(), c.header, prefix, wrong))


@pytest.mark.parametrize("name", UNPREFIXED_HMAC)
def test_a_prefix_the_sender_does_not_write_is_rejected(name):
    c = case(name)
    headers = c.sign()
    signature = headers[c.header].split(",")[-1]

    with pytest.raises(MalformedSignatureError):
        c.verifier().verify(c.body, replace_in(headers, c.header, signature, "sha256=" + signature))


@pytest.mark.parametrize("name", URL_SIGNED)
def test_another_url_is_rejected(name):
    c = case(name)

    with pytest.raises(SignatureMismatchError):
        c.verifier(url=OTHER_URL).verify(c.body, c.sign())


@pytest.mark.parametrize("name", ALL)
def test_a_renamed_signature_header_is_missing(name):
    c = case(name)
    headers = c.sign()
    renamed = {("x-renamed" if k == c.header else k): v for k, v in headers.items()}

    with pytest.raises(MissingSignatureError):
        c.verifier().verify(c.body, renamed)


@pytest.mark.parametrize("name", ALL)
def test_mixed_case_names_reaching_a_verifier_unlowercased_are_missing(name):
    # Verifiers read lowercase names; only parse_request may lowercase them.
    c = case(name)

    with pytest.raises(MissingSignatureError):
        c.verifier().verify(c.body, {title_case(k): v for k, v in c.sign().items()})


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("value", ["", "   "])
def test_a_blank_signature_header_is_missing(name, value):
    c = case(name)

    with pytest.raises(MissingSignatureError):
        c.verifier().verify(c.body, {**c.sign(), c.header: value})


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("zendesk", "x-zendesk-webhook-signature-timestamp"),
        ("hubspot", "x-hubspot-request-timestamp"),
        ("front-app", "x-front-request-timestamp"),
        ("slack", "x-slack-request-timestamp"),
        ("standard-webhooks", "webhook-timestamp"),
        ("standard-webhooks", "webhook-id"),
        ("svix", "svix-id"),
    ],
)
def test_a_missing_timestamp_or_id_header_is_missing(name, header):
    c = case(name)
    headers = c.sign()
    del headers[header]

    with pytest.raises(MissingSignatureError, match=header):
        c.verifier().verify(c.body, headers)


@pytest.mark.parametrize("name", ["standard-webhooks", "svix"])
def test_a_changed_delivery_id_is_rejected(name):
    # Standard Webhooks signs its id: a replay under a fresh id would dodge deduplication.
    c = case(name)
    id_header = "webhook-id" if name == "standard-webhooks" else "svix-id"

    with pytest.raises(SignatureMismatchError):
        c.verifier().verify(c.body, {**c.sign(), id_header: "msg_forged"})


# --- rotation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_during_rotation_the_old_and_new_secrets_are_both_accepted(name):
    c = case(name)
    verifier = c.verifier(c.secret, c.old_secret)

    verifier.verify(c.body, c.sign(secret=c.secret))
    verifier.verify(c.body, c.sign(secret=c.old_secret))


def _two_signatures(name: str, first: dict[str, str], second: dict[str, str]) -> dict[str, str]:
    header = SIGNATURE_HEADER[name]
    separator, skip = MULTI_SIGNATURE[name]
    extra = second[header].split(separator)[skip:]
    return {**first, header: separator.join([first[header], *extra])}


@pytest.mark.parametrize("name", sorted(MULTI_SIGNATURE))
@pytest.mark.parametrize("configured", ["new", "old"])
def test_a_header_with_one_signature_per_active_secret_is_accepted(name, configured):
    c = case(name)
    headers = _two_signatures(name, c.sign(secret=c.old_secret), c.sign(secret=c.secret))

    c.verifier(c.secret if configured == "new" else c.old_secret).verify(c.body, headers)


@pytest.mark.parametrize("name", sorted(MULTI_SIGNATURE))
def test_a_header_where_no_signature_matches_is_rejected(name):
    c = case(name)
    other = c.sign(secret=c.other_secret)
    headers = _two_signatures(name, other, other)

    with pytest.raises(SignatureMismatchError):
        c.verifier().verify(c.body, headers)


# --- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("secrets", [(), ("",), ("", "  \n")], ids=["none", "empty", "blank"])
def test_no_usable_secret_fails_closed(name, secrets):
    c = case(name)

    with pytest.raises(NoSecretError):
        c.preset.build(secrets, c.options)


@pytest.mark.parametrize("name", ["standard-webhooks", "svix", "clerk", "resend"])
@pytest.mark.parametrize(
    "secret",
    [
        "whsec_" + "QUJD" * 7,  # 21 bytes: shorter than the spec's 24
        "whsec_not base64!",
        "whsec_",
        "whsec_test_secret_for_the_test_suite",  # a Stripe-style secret
    ],
)
def test_standard_webhooks_secrets_must_decode_to_24_bytes(name, secret):
    with pytest.raises(NoSecretError, match="24 bytes"):
        case(name).preset.build([secret])


@pytest.mark.parametrize("name", BASIC_AUTH)
def test_basic_auth_secrets_are_user_colon_password(name):
    with pytest.raises(NoSecretError, match="user:password"):
        case(name).preset.build(["no-colon-here"])


# --- time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TIMESTAMPED)
@pytest.mark.parametrize("direction", [-1, 1], ids=["past", "future"])
def test_timestamps_at_the_tolerance_edge_are_accepted(name, direction):
    c = case(name)
    tolerance = c.preset.options["tolerance_s"].default

    c.verifier().verify(c.body, c.sign(timestamp=NOW + direction * tolerance))


@pytest.mark.parametrize("name", TIMESTAMPED)
@pytest.mark.parametrize(("direction", "word"), [(-1, "past"), (1, "future")])
def test_timestamps_beyond_the_tolerance_are_rejected_both_ways(name, direction, word):
    c = case(name)
    tolerance = c.preset.options["tolerance_s"].default

    with pytest.raises(TimestampOutOfToleranceError) as caught:
        c.verifier().verify(c.body, c.sign(timestamp=NOW + direction * (tolerance + 1)))
    assert caught.value.details["direction"] == word


@pytest.mark.parametrize("name", TIMESTAMPED)
def test_the_tolerance_is_an_option(name):
    c = case(name)
    stale = c.sign(timestamp=NOW - 3600)

    c.verifier(tolerance_s=3601).verify(c.body, stale)
    with pytest.raises(TimestampOutOfToleranceError):
        c.verifier(tolerance_s=3599).verify(c.body, stale)


def test_paddle_allows_five_seconds_by_default_like_its_sdk():
    c = case("paddle")

    assert c.preset.options["tolerance_s"].default == 5
    c.verifier().verify(c.body, c.sign(timestamp=NOW - 5))
    with pytest.raises(TimestampOutOfToleranceError):
        c.verifier().verify(c.body, c.sign(timestamp=NOW - 10))
    c.verifier(tolerance_s=30).verify(c.body, c.sign(timestamp=NOW - 10))


def test_recurly_reads_milliseconds_by_default_and_seconds_when_told():
    c = case("recurly")
    headers = c.sign()

    assert headers[c.header].startswith(f"{NOW * 1000},")
    in_seconds = c.preset.sign(c.body, c.secret, NOW, {"timestamp_unit": "s"})
    assert in_seconds[c.header].startswith(f"{NOW},")
    c.verifier(timestamp_unit="s").verify(c.body, in_seconds)
    with pytest.raises(TimestampOutOfToleranceError):
        c.verifier().verify(c.body, in_seconds)  # read as ms: 1970


# --- URLs ---------------------------------------------------------------------------------------


def test_hubspot_signs_the_url_with_its_partial_decoding():
    c = case("hubspot")
    encoded = "https://hooks.example.com/webhooks/hubspot?when=2026%3A01%2C02&q=a%20b"

    headers = c.preset.sign(c.body, c.secret, NOW, {"url": encoded})

    c.verifier(url=encoded).verify(c.body, headers)
    # Equal to the signature over the decoded URI (%3A and %2C decoded, %20 kept).
    decoded = "https://hooks.example.com/webhooks/hubspot?when=2026:01,02&q=a%20b"
    assert c.preset.sign(c.body, c.secret, NOW, {"url": decoded}) == headers


@pytest.mark.parametrize("name", ["twilio", "twilio-json"])
def test_twilio_signatures_over_the_url_with_its_default_port_are_accepted(name):
    c = case(name)
    with_port = URL.replace("example.com/", "example.com:443/")

    headers = c.preset.sign(c.body, c.secret, NOW, {"url": with_port})

    c.verifier().verify(c.body, headers)
    c.verifier(url=with_port).verify(c.body, c.sign())


def test_twilio_sharedkey_signatures_use_sha256():
    c = case("twilio")
    headers = c.preset.sign(c.body, c.secret, NOW, {**c.options, "hash": "sha256"})

    c.verifier(hash="sha256").verify(c.body, headers)
    with pytest.raises(MalformedSignatureError):  # a SHA-256 digest is not a SHA-1 one
        c.verifier().verify(c.body, headers)


def test_square_signs_the_notification_url_byte_for_byte():
    c = case("square")

    with pytest.raises(SignatureMismatchError):
        c.verifier(url=URL.replace("https://", "https://HOOKS.")).verify(c.body, c.sign())


# --- unsigned senders ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", BASIC_AUTH)
@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("Bearer abc", MalformedSignatureError),
        ("Basic", MalformedSignatureError),
        ("Basic not*base64", MalformedSignatureError),
        ("Basic aG9va3M6Y29ycmVjdC1ob3JzZQ", MalformedSignatureError),  # unpadded
        ("basic aG9va3M6Y29ycmVjdC1ob3JzZQ==", None),  # the scheme is case-insensitive
        ("Basic aG9va3M6Y29ycmVjdC1ob3JzZSA=", SignatureMismatchError),  # trailing space
    ],
)
def test_basic_auth_header_forms(name, value, error):
    c = case(name)
    if error is None:
        c.verifier().verify(c.body, {"authorization": value})
        return
    with pytest.raises(error):
        c.verifier().verify(c.body, {"authorization": value})


def test_the_shared_token_header_is_an_option():
    c = case("freshdesk-token")
    options = {"header": "X-Freshdesk-Secret"}

    headers = c.preset.sign(c.body, c.secret, NOW, options)

    assert headers == {"x-freshdesk-secret": c.secret}
    c.verifier(header="X-Freshdesk-Secret").verify(c.body, headers)
    with pytest.raises(MissingSignatureError):
        c.verifier().verify(c.body, headers)


# --- options ------------------------------------------------------------------------------------


def test_defaults_are_filled_in():
    assert PRESETS["stripe"].resolve_options({}) == ({"tolerance_s": 300}, [])
    assert PRESETS["paddle"].resolve_options({}) == ({"tolerance_s": 5}, [])
    assert PRESETS["twilio"].resolve_options({"url": URL}) == ({"url": URL, "hash": "sha1"}, [])
    assert PRESETS["github"].resolve_options({}) == ({}, [])


@pytest.mark.parametrize(
    ("name", "given", "problem"),
    [
        ("stripe", {"tolerence_s": 5}, "unknown option 'tolerence_s' for preset 'stripe'"
         " (did you mean 'tolerance_s'?)"),
        ("github", {"tolerance_s": 5}, "unknown option 'tolerance_s' for preset 'github'"
         " (it takes none)"),
        ("stripe", {"tolerance_s": 0}, "tolerance_s must be an integer from 1 to 86400"),
        ("stripe", {"tolerance_s": True}, "tolerance_s must be an integer from 1 to 86400"),
        ("stripe", {"tolerance_s": "300"}, "tolerance_s must be an integer from 1 to 86400"),
        ("square", {}, "url is required for preset 'square': the exact public URL"),
        ("square", {"url": "http://hooks.example.com/x"}, "url must be the absolute https URL"),
        ("square", {"url": "/webhooks/square"}, "url must be the absolute https URL"),
        ("square", {"url": "https:///webhooks"}, "url must be the absolute https URL"),
        ("square", {"url": "https://a.example/x y"}, "url must be the absolute https URL"),
        ("square", {"url": "https://a.example:x/"}, "url must be the absolute https URL"),
        ("square", {"url": "https://u:p@a.example/"}, "url must not carry credentials"),
        ("square", {"url": "https://a.example/#rc=3"}, "url must not have a #fragment"),
        ("square", {"url": 42}, "url must be the absolute https URL"),
        ("twilio", {"url": URL, "hash": "md5"}, "hash must be one of 'sha1', 'sha256'"),
        ("recurly", {"timestamp_unit": "us"}, "timestamp_unit must be one of 'ms', 's'"),
        ("freshdesk-token", {"header": "x token"}, "header must be an HTTP header name"),
        ("freshdesk-token", {"header": ""}, "header must be an HTTP header name"),
    ],
)  # fmt: skip
def test_each_bad_option_is_one_problem(name, given, problem):
    _, problems = PRESETS[name].resolve_options(given)

    assert len(problems) == 1
    assert problems[0].startswith(problem), problems


@pytest.mark.parametrize(
    "url", ["http://localhost:3000/webhooks/square", "http://127.0.0.1/x", "https://a.example"]
)
def test_local_http_and_any_https_url_are_accepted(url):
    assert PRESETS["square"].resolve_options({"url": url}) == ({"url": url}, [])


def test_header_options_are_lowercased():
    resolved, _ = PRESETS["freshdesk-token"].resolve_options({"header": "X-Token"})

    assert resolved == {"header": "x-token"}


def test_building_or_signing_with_bad_options_is_a_configuration_error():
    from webhook_to_track.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as caught:
        PRESETS["square"].build(["k"], {"url": "http://a.example"})
    assert caught.value.problems[0].startswith("url must be")
    with pytest.raises(ConfigurationError):
        PRESETS["square"].sign(b"{}", "k", NOW)


def test_sign_without_options_uses_the_defaults():
    # tests/bench and older callers pass three arguments
    assert PRESETS["stripe"].sign(b"{}", "whsec_x", NOW) == PRESETS["stripe"].sign(
        b"{}", "whsec_x", NOW, {"tolerance_s": 300}
    )


@pytest.mark.parametrize("kind", ["integer", "url", "header", "choice"])
def test_every_option_kind_describes_itself(kind):
    specs = [s for p in PRESETS.values() for s in p.options.values() if s.kind == kind]

    assert specs
    assert all(s.describe() and s.help for s in specs)
    assert PRESETS["square"].options["url"].describe() == "absolute https URL, required"
    assert PRESETS["stripe"].options["tolerance_s"].describe() == "integer 1..86400, default 300"


# --- through the registry -----------------------------------------------------------------------


def _compile(spec, preset_name=None):
    from webhook_to_track.registry import _compile_delivery_id
    from webhook_to_track.rules.problems import Problems

    problems = Problems("a.json")
    preset = PRESETS[preset_name] if preset_name else None
    return _compile_delivery_id(spec, preset, problems), problems.items


# The ids in factory.body_for's bodies, by path (Maxio's form body has id=81).
ID_AT_PATH = {"id": "evt_1", "event_id": "evt_1", "trigger_id": "t.1"}


@pytest.mark.parametrize("name", ALL)
def test_each_presets_delivery_id_is_found_in_what_its_sender_sends(name):
    c = case(name)
    spec, problems = _compile(None, name)
    request = parse_request(make_apigw_event(name, c.body, c.sign()), max_body_bytes=10**6)

    found = spec.find(parse_body(request.body, c.preset.body_format), request)

    assert problems == []
    declared = c.preset.delivery_id
    if "header" in declared:
        first = declared["header"] if isinstance(declared["header"], str) else declared["header"][0]
        assert found == c.sign()[first]
    elif "path" in declared:
        assert found == ("81" if name == "maxio" else ID_AT_PATH[declared["path"]])
    else:
        assert found == "sha256:" + hashlib.sha256(c.body).hexdigest()


def test_a_webhook_id_sent_as_svix_id_is_found_for_standard_webhooks():
    c = case("standard-webhooks")
    spec, _ = _compile(None, "standard-webhooks")
    svix_headers = case("svix").preset.sign(c.body, c.secret, NOW)
    request = parse_request(make_apigw_event("sw", c.body, svix_headers), max_body_bytes=10**6)

    c.verifier().verify(request.body, request.headers)
    assert spec.find({}, request) == svix_headers["svix-id"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, ()),
        ({"header": "X-Delivery"}, ("x-delivery",)),
        ({"header": ["Webhook-Id", "svix-id"]}, ("webhook-id", "svix-id")),
    ],
)
def test_delivery_id_specs_in_source_files(spec, expected):
    compiled, problems = _compile(spec)

    assert problems == []
    assert compiled.headers == expected
    assert compiled.path is None


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"header": []}, "a.json: /delivery_id/header: header must be a header name"),
        ({"header": ["ok", 3]}, "a.json: /delivery_id/header: header must be a header name"),
        ({"header": ""}, "a.json: /delivery_id/header: header must be a header name"),
        ({"header": "a", "path": "id"}, "a.json: /delivery_id: delivery_id is"),
        ([], "a.json: /delivery_id: delivery_id is"),
    ],
)
def test_bad_delivery_id_specs_are_problems(spec, problem):
    _, problems = _compile(spec)

    assert len(problems) == 1
    assert problems[0].startswith(problem)


@pytest.mark.parametrize(
    ("signature", "problem"),
    [
        ({"preset": "square"}, "a.json: /signature: url is required for preset 'square'"),
        (
            {"preset": "twilio", "url": "http://x.example/t"},
            "a.json: /signature: url must be the absolute https URL",
        ),
        (
            {"preset": "paddle", "tolerence_s": 30},
            "a.json: /signature: unknown option 'tolerence_s' for preset 'paddle' "
            "(did you mean 'tolerance_s'?)",
        ),
    ],
)
def test_option_problems_are_reported_against_the_signature(signature, problem):
    from webhook_to_track.registry import _compile_signature
    from webhook_to_track.rules.problems import Problems

    problems = Problems("a.json")
    _compile_signature(signature, problems)

    assert problems.items[0].startswith(problem), problems.items


def test_a_source_signs_with_its_own_options():
    from webhook_to_track.delivery import DeliveryIdSpec
    from webhook_to_track.registry import Source

    c = case("square")
    source = Source("sq", "sq.json", c.preset, {"url": URL}, DeliveryIdSpec(), rules=None)

    assert source.sign(c.body, c.secret, NOW) == c.sign()
    source.verifier([c.secret]).verify(c.body, source.sign(c.body, c.secret, NOW))


@pytest.mark.parametrize("name", ALL)
def test_the_signing_labs_bad_key_signs_for_every_preset_and_is_rejected(name):
    # cli.py signs a "bad signature" sample per source with a key no sender would issue
    c = case(name)

    headers = c.sign(secret="whsec_not_the_configured_secret")

    with pytest.raises(SignatureMismatchError):
        c.verifier().verify(c.body, headers)
