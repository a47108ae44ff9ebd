"""The deployed path: the secrets document from Secrets Manager through Powertools Parameters."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from tests.factories import PAYLOADS, ROOT, STRIPE_SECRET
from webhook_to_track.cli import signed_event
from webhook_to_track.delivery import parse_body
from webhook_to_track.errors import ConfigurationError, SecretsUnavailableError
from webhook_to_track.local.events import is_sample_payload, sample_headers
from webhook_to_track.local.secrets import LOCAL_SECRETS_FILE, load_local_secrets
from webhook_to_track.registry import load_registry
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


def packaged_delivery() -> tuple[str, str, dict[str, Any]]:
    """(source, its local test secret, event): the first sample of the packaged source files
    that maps to a call, signed now. In AWS the function reads only the packaged source files
    (no SOURCES_DIR), so this takes whichever are present."""
    secrets = load_local_secrets(ROOT / LOCAL_SECRETS_FILE)
    for name, source in sorted(load_registry().sources.items()):
        for sample in sorted(p for p in (PAYLOADS / name).glob("*") if is_sample_payload(p)):
            body, headers = sample.read_bytes(), sample_headers(sample)
            payload = parse_body(body, source.preset.body_format)
            if secrets.for_source(name) and source.rules.map(payload, headers=headers).calls:
                key = secrets.for_source(name)[0]
                return name, key, signed_event(source, body, key, int(time.time()), headers)
    raise AssertionError("no packaged source has a sample that maps to a call")


def test_both_functions_use_the_secret_in_aws(deliver, env, secret, userpilot):
    client, arn = secret
    source, key, event = packaged_delivery()
    document = {"userpilot_api_key": "k", "sources": {source: [key]}}
    client.put_secret_value(SecretId=arn, SecretString=json.dumps(document))
    env(
        SECRETS_JSON="",
        SECRETS_NAME=arn,
        SOURCES_DIR="",  # refused in AWS: the packaged source files
        AWS_EXECUTION_ENV="AWS_Lambda_python3.13",
    )

    answer, forwarded = deliver(event)

    assert answer.status in (200, 202)  # a few senders count only 200 as delivered
    assert answer.body["status"] == "accepted"
    assert forwarded.failures == 0
    assert userpilot.requests[0].headers["Authorization"] == "Token k"
