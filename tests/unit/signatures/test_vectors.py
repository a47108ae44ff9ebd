"""Published test vectors: the senders' docs and their SDKs' own test suites."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from webhook_to_track.errors import SignatureMismatchError
from webhook_to_track.presets import PRESETS
from webhook_to_track.presets.catalog import HUBSPOT_V2_SCHEME
from webhook_to_track.signatures import HmacVerifier, hubspot_uri


def test_slack_docs_vector():
    # docs.slack.dev "Verifying requests from Slack" (also slack_sdk's test suite)
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
        b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
        b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = {
        "x-slack-request-timestamp": "1531420618",
        "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }
    verifier = PRESETS["slack-form"].build(
        ["8f742231b10e8888abcd99yyyzzz85a5"], clock=lambda: 1531420618
    )

    verifier.verify(body, headers)
    with pytest.raises(SignatureMismatchError):
        verifier.verify(body + b"------", headers)


def test_github_docs_vector():
    # docs.github.com "Validating webhook deliveries"
    headers = {
        "x-hub-signature-256": "sha256="
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    }

    PRESETS["github"].build(["It's a Secret to Everybody"]).verify(b"Hello, World!", headers)
    assert (
        PRESETS["github"].sign(b"Hello, World!", "It's a Secret to Everybody", 0)[
            "x-hub-signature-256"
        ]
        == headers["x-hub-signature-256"]
    )


TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


@pytest.mark.parametrize(
    ("params", "signature"),
    [
        # twilio.com/docs/usage/security (the docs' example request)
        (
            [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
             ("From", "+12349013030"), ("To", "+18005551212")],
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
        ),
        # twilio-python tests/unit/test_request_validator.py
        (
            [("CallSid", "CA1234567890ABCDE"), ("Digits", "1234"), ("From", "+14158675309"),
             ("To", "+18005551212"), ("Caller", "+14158675309")],
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        ),
        (
            [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")],
            "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
        ),
    ],
)  # fmt: skip
def test_twilio_form_vectors(params, signature):
    body = urlencode(params).encode()

    PRESETS["twilio"].build(["12345"], {"url": TWILIO_URL}).verify(
        body, {"x-twilio-signature": signature}
    )


def test_twilio_vector_signed_over_the_url_with_port_443():
    # twilio-python: "hash of uri with port 443", for the same request as RSOYDt4T...
    body = urlencode(
        [("CallSid", "CA1234567890ABCDE"), ("Digits", "1234"), ("From", "+14158675309"),
         ("To", "+18005551212"), ("Caller", "+14158675309")]
    ).encode()  # fmt: skip

    PRESETS["twilio"].build(["12345"], {"url": TWILIO_URL}).verify(
        body, {"x-twilio-signature": "kvajT1Ptam85bY51eRf/AJRuM3w="}
    )


def test_twilio_json_vector():
    # twilio-python: body hash 0a1ff763... appended to the URL as bodySHA256
    body = b'{"property": "value", "boolean": true}'

    PRESETS["twilio-json"].build(["12345"], {"url": TWILIO_URL}).verify(
        body, {"x-twilio-signature": "a9nBmqA0ju/hNViExpshrM61xv4="}
    )


HUBSPOT_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
HUBSPOT_URL = "https://www.example.com/webhook_uri"


def test_hubspot_v1_docs_vector():
    body = (
        b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
        b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
        b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
    )
    signature = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"

    PRESETS["hubspot-v1"].build([HUBSPOT_SECRET]).verify(body, {"x-hubspot-signature": signature})


def test_hubspot_v2_vectors():
    # hubspot-api-python tests/spec/utils/test_signature.py (POST) and the docs' GET example
    post = "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"
    get = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"

    PRESETS["hubspot-v2"].build([HUBSPOT_SECRET], {"url": HUBSPOT_URL}).verify(
        b"{'example_field':'example_value'}", {"x-hubspot-signature": post}
    )
    HmacVerifier(HUBSPOT_V2_SCHEME, [HUBSPOT_SECRET], url=HUBSPOT_URL, method="GET").verify(
        b"", {"x-hubspot-signature": get}
    )


def test_hubspot_v3_sdk_vector():
    # hubspot-api-python: timestamp 15000000 ms, so the clock stands at 15000 s
    headers = {
        "x-hubspot-signature-v3": "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=",
        "x-hubspot-request-timestamp": "15000000",
    }
    verifier = PRESETS["hubspot"].build(
        [HUBSPOT_SECRET], {"url": HUBSPOT_URL}, clock=lambda: 15000.0
    )

    verifier.verify(b"{'example_field':'example_value'}", headers)


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        ("https://x.example/a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm",
         "https://x.example/a:b/c?d@e!f$g'h(i)j*k,l;m"),
        ("https://x.example/%3a%2f", "https://x.example/:/"),  # escapes are case-insensitive
        ("https://x.example/a%20b%26c%3Dd%25", "https://x.example/a%20b%26c%3Dd%25"),
        ("https://x.example/%253A", "https://x.example/%253A"),  # decoded once only
    ],
)  # fmt: skip
def test_hubspot_decodes_only_its_table(url, signed):
    assert hubspot_uri(url) == signed
