"""The secrets document: shape checks that never echo a value."""

from __future__ import annotations

import pytest

from webhook_to_track.errors import ConfigurationError
from webhook_to_track.settings import Settings
from webhook_to_track.signing_keys import load_secrets, parse_secrets_document


def test_document_with_lists_and_single_strings():
    document = parse_secrets_document(
        {"userpilot_api_key": " key ", "sources": {"stripe": ["new", "old"], "zendesk": "one"}}
    )

    assert document.userpilot_api_key == "key"
    assert document.for_source("stripe") == ("new", "old")
    assert document.for_source("zendesk") == ("one",)
    assert document.for_source("shopify") == ()


def test_blank_secrets_leave_the_source_without_a_usable_one():
    assert (
        parse_secrets_document({"userpilot_api_key": "k", "sources": {"s": ["", " "]}}).for_source(
            "s"
        )
        == ()
    )


def test_repr_never_shows_values():
    document = parse_secrets_document(
        {"userpilot_api_key": "very-secret", "sources": {"s": ["x1"]}}
    )

    assert "very-secret" not in repr(document)
    assert "x1" not in repr(document)


def test_every_problem_is_reported_without_the_values():
    with pytest.raises(ConfigurationError) as caught:
        parse_secrets_document(
            {"userpilot_api_key": "", "sources": {"a": 5, "b": ["ok", 7]}, "token": "leak-me"}
        )

    assert len(caught.value.problems) == 4
    assert "leak-me" not in str(caught.value)


@pytest.mark.parametrize("document", [[], "text", None])
def test_document_must_be_an_object(document):
    with pytest.raises(ConfigurationError):
        parse_secrets_document(document)


def test_local_document_comes_from_secrets_json():
    settings = Settings.from_env(
        {"IDEMPOTENCY_TABLE": "t", "SECRETS_JSON": '{"userpilot_api_key": "k", "sources": {}}'}
    )

    assert load_secrets(settings).userpilot_api_key == "k"


def test_invalid_local_json_is_a_configuration_error():
    settings = Settings.from_env({"IDEMPOTENCY_TABLE": "t", "SECRETS_JSON": "{nope"})

    with pytest.raises(ConfigurationError, match="not valid JSON"):
        load_secrets(settings)
