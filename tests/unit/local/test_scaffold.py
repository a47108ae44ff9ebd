"""``sources new``'s scaffold, for every preset: a source file the checks accept, a sample that
maps to one valid track call, and a local secret in the preset's format that verifies what it
signs. Names and presets are checked first."""

from __future__ import annotations

import base64
import json

import pytest

from webhook_to_track.delivery import parse_body
from webhook_to_track.local.scaffold import (
    EVENT_NAME,
    ScaffoldError,
    compiled,
    plan,
    pretty_json,
)
from webhook_to_track.presets import PRESETS
from webhook_to_track.sources.check import check_source_document
from webhook_to_track.userpilot.validation import validate_track

ALL = sorted(PRESETS)


@pytest.mark.parametrize("preset", ALL)
def test_the_source_file_passes_rules_check_and_the_sample_maps_to_one_call(preset):
    scaffold = plan("new-sender", preset, taken=())

    document = json.loads(scaffold.source_text())
    assert document == scaffold.document
    assert check_source_document("new-sender", document) == []
    assert document["signature"]["preset"] == preset
    assert "description" in document
    assert "description" in document["rules"][0]
    source = compiled(scaffold)
    payload = parse_body(scaffold.payload, source.preset.body_format)
    result = source.rules.map(payload, delivery_id="d", headers=scaffold.headers)
    assert [item.call.body["event_name"] for item in result.calls] == [EVENT_NAME]
    assert result.calls[0].call.body["user_id"] == "user_123"
    validate_track(result.calls[0].call.body)
    assert not result.rejected


@pytest.mark.parametrize("preset", ALL)
def test_the_local_secret_verifies_what_it_signs(preset):
    scaffold = plan("new-sender", preset, taken=())
    options = compiled(scaffold).options
    headers = PRESETS[preset].sign(scaffold.payload, scaffold.secret, 1_700_000_000, options)

    verifier = PRESETS[preset].build([scaffold.secret], options, clock=lambda: 1_700_000_000.0)
    verifier.verify(scaffold.payload, headers)


def test_each_secret_has_the_format_its_preset_needs():
    secrets = {name: plan("s", name, taken=()).secret for name in ALL}

    for name in ("chargebee", "freshdesk"):  # Basic auth: user:password
        assert secrets[name].startswith("local-user:"), name
    for name in ("standard-webhooks", "svix", "clerk", "resend"):  # whsec_ + base64 of a key
        assert len(base64.b64decode(secrets[name].removeprefix("whsec_"))) >= 24
    assert secrets["stripe"].startswith("whsec_local-")  # Stripe's own prefix, used as-is
    assert secrets["paddle"].startswith("pdl_ntfset_local-")
    assert secrets["github"].startswith("local-")
    assert plan("s", "github", taken=()).secret != secrets["github"]  # random each time


def test_a_secret_already_on_file_is_kept_when_the_preset_can_use_it():
    assert plan("s", "stripe", taken=(), secret="whsec_mine").secret == "whsec_mine"

    with pytest.raises(ScaffoldError, match="does not suit preset 'chargebee'"):
        plan("s", "chargebee", taken=(), secret="no-colon")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Billing", "'Billing' is not a valid source name"),
        ("-billing", "not a valid source name"),
        ("a" * 65, "not a valid source name"),
        ("payloads", "'payloads' is reserved"),
        ("forwarder", "'forwarder' is reserved"),
        ("stripe", "a source named 'stripe' already exists"),
    ],
)
def test_bad_or_taken_names_are_refused(name, message):
    with pytest.raises(ScaffoldError, match=message):
        plan(name, "stripe", taken={"stripe"})


def test_an_unknown_preset_suggests_the_closest():
    with pytest.raises(ScaffoldError, match=r"unknown preset 'strpe' \(did you mean 'stripe'\?\)"):
        plan("billing", "strpe", taken=())


def test_senders_that_sign_the_url_get_the_sample_url_to_replace():
    document = plan("crm", "hubspot", taken=()).document

    assert document["signature"]["url"] == (
        "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/crm"
    )
    assert "replace it with your deployed URL" in document["description"]


def test_pretty_json_keeps_short_members_on_one_line():
    value = {"a": {"path": "x", "transform": ["to_string"]}, "b": ["y" * 120]}

    assert pretty_json(value) == (
        '{\n  "a": {"path": "x", "transform": ["to_string"]},\n  "b": [\n    "'
        + "y" * 120
        + '"\n  ]\n}'
    )
    assert json.loads(pretty_json(value)) == value
