"""The deployed path: the secrets document from Secrets Manager through Powertools Parameters."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.factories import STRIPE_SECRET, make_event
from webhook_to_track.errors import ConfigurationError, SecretsUnavailableError
from webhook_to_track.settings import Settings
from webhook_to_track.signing_keys import load_secrets

DOCUMENT = {"userpilot_api_key": "k", "sources": {"stripe": [STRIPE_SECRET]}}


@pytest.fixture
def secret(aws):
    client = boto3.client("secretsmanager", region_name="us-east-1")
    arn = client.create_secret(Name="webhook-to-track/secrets")["ARN"]
    return client, arn


def settings(arn: str) -> Settings:
    return Settings.from_env({"IDEMPOTENCY_TABLE": "t", "SECRETS_NAME": arn})


def test_document_is_read_and_cached(secret):
    client, arn = secret
    client.put_secret_value(SecretId=arn, SecretString=json.dumps(DOCUMENT))

    first = load_secrets(settings(arn))
    client.put_secret_value(
        SecretId=arn, SecretString=json.dumps({**DOCUMENT, "userpilot_api_key": "new"})
    )
    second = load_secrets(settings(arn))

    assert first.for_source("stripe") == (STRIPE_SECRET,)
    assert second.userpilot_api_key == "k"  # cached for SECRETS_MAX_AGE_SECONDS


def test_secret_without_a_value_yet_is_a_clear_500(secret):
    _, arn = secret

    with pytest.raises(SecretsUnavailableError, match="has a value been stored in it yet"):
        load_secrets(settings(arn))


def test_secret_that_is_not_json_is_a_configuration_error(secret):
    client, arn = secret
    client.put_secret_value(SecretId=arn, SecretString="whsec_just_a_string")

    with pytest.raises(ConfigurationError, match="not a JSON document"):
        load_secrets(settings(arn))


def test_both_functions_use_the_secret_in_aws(deliver, env, secret, userpilot):
    client, arn = secret
    client.put_secret_value(SecretId=arn, SecretString=json.dumps(DOCUMENT))
    env(SECRETS_JSON="", SECRETS_NAME=arn, AWS_EXECUTION_ENV="AWS_Lambda_python3.13")

    answer, forwarded = deliver(make_event())

    assert answer.status == 202
    assert forwarded.failures == 0
    assert userpilot.requests[0].headers["Authorization"] == "Token k"
