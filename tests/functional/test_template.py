"""template.yaml, env.json and the code agree: names, tables, variables, limits."""

from __future__ import annotations

import json

from tests.factories import ROOT
from webhook_to_track import settings as settings_module
from webhook_to_track.idempotency import KEY_JMESPATH
from webhook_to_track.local.template import (
    function_environment,
    load_template,
    table_definition,
    ttl_attribute,
)
from webhook_to_track.settings import Settings

TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTION = TEMPLATE["Resources"]["IngestFunction"]["Properties"]


def test_function_runs_python_313_on_arm64_with_the_real_handler():
    globals_ = TEMPLATE["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Architectures"]) == ("python3.13", ["arm64"])
    assert FUNCTION["Handler"] == "webhook_to_track.handler.lambda_handler"
    module, _, name = FUNCTION["Handler"].rpartition(".")
    assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_route_is_post_webhooks_source_payload_2():
    (event,) = FUNCTION["Events"].values()
    assert event["Type"] == "HttpApi"
    assert event["Properties"]["Path"] == "/webhooks/{source}"
    assert event["Properties"]["Method"] == "POST"
    assert event["Properties"]["PayloadFormatVersion"] == "2.0"


def test_idempotency_table_is_what_powertools_expects():
    definition = table_definition(TEMPLATE)
    assert definition["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert definition["BillingMode"] == "PAY_PER_REQUEST"
    assert ttl_attribute(TEMPLATE) == "expiration"
    assert KEY_JMESPATH == "[source, delivery_id]"


def test_policies_are_least_privilege():
    (policy,) = FUNCTION["Policies"]
    actions = sorted(
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert actions == sorted(
        [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "secretsmanager:GetSecretValue",
        ]
    )
    assert all("*" not in json.dumps(s["Resource"]) for s in policy["Statement"])


def test_no_secret_value_in_the_template():
    secret = TEMPLATE["Resources"]["WebhookSecrets"]["Properties"]
    assert "SecretString" not in secret
    assert "GenerateSecretString" not in secret
    assert function_environment(TEMPLATE)["SECRETS_JSON"] == ""


def test_template_environment_parses_in_aws():
    environment = {
        **function_environment(TEMPLATE),
        "IDEMPOTENCY_TABLE": "t",
        "SECRETS_NAME": "s",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    }
    settings = Settings.from_env(environment)
    assert settings.forward_mode == "send"
    assert settings.secrets_json is None
    assert settings.idempotency_disabled is False


def test_env_json_only_sets_variables_the_template_declares():
    env_json = json.loads((ROOT / "env.json").read_text())
    declared = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]) | set(
        FUNCTION["Environment"]["Variables"]
    )
    for section in env_json.values():
        assert set(section) <= declared  # sam local silently ignores the others


def test_settings_without_a_safe_default_are_declared_in_the_template():
    declared = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]) | set(
        FUNCTION["Environment"]["Variables"]
    )
    required = {
        settings_module.IDEMPOTENCY_TABLE,
        settings_module.IDEMPOTENCY_WINDOW_S,
        settings_module.IDEMPOTENCY_DISABLED,
        settings_module.SECRETS_NAME,
        settings_module.SECRETS_JSON,
        settings_module.USERPILOT_HOST,
        settings_module.FORWARD_MODE,
    }
    assert required <= declared
