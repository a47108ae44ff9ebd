"""Settings.from_env: defaults, every bad value reported at once, secrets never in repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from webhook_to_track.errors import ConfigurationError
from webhook_to_track.policy import ForwardPolicy
from webhook_to_track.settings import Settings

BASE = {"IDEMPOTENCY_TABLE": "t", "SECRETS_NAME": "arn:aws:secretsmanager:x"}


def test_defaults():
    settings = Settings.from_env(BASE)

    assert settings.userpilot_url == "https://analytex.userpilot.io"
    assert settings.forward_mode == "send"
    assert settings.forward_policy == ForwardPolicy()
    assert settings.idempotency_window_s == 7 * 24 * 3600
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.secrets_max_age_s == 300
    assert settings.sources_dir is None


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("us", "https://analytex.userpilot.io"),
        ("EU", "https://analytex-eu.userpilot.io"),
        ("https://analytex.acme.userpilot.io/", "https://analytex.acme.userpilot.io"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_userpilot_host(host, url):
    assert Settings.from_env({**BASE, "USERPILOT_HOST": host}).userpilot_url == url


@pytest.mark.parametrize(
    "host", ["http://analytex.userpilot.io", "ftp://x", "analytex.userpilot.io", "https://x/?a=1"]
)
def test_bad_userpilot_host_is_refused(host):
    with pytest.raises(ConfigurationError, match="USERPILOT_HOST"):
        Settings.from_env({**BASE, "USERPILOT_HOST": host})


def test_every_problem_is_reported_at_once():
    environ = {
        "FORWARD_MAX_RETRIES": "many",
        "FORWARD_BUDGET_SECONDS": "0",
        "FORWARD_MODE": "maybe",
        "MAX_BODY_BYTES": "1",
        "POWERTOOLS_IDEMPOTENCY_DISABLED": "perhaps",
    }

    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(environ)

    text = "\n".join(caught.value.problems)
    for name in [*environ, "IDEMPOTENCY_TABLE", "SECRETS_NAME"]:
        assert name in text
    assert len(caught.value.problems) == 7


def test_forward_policy_from_environment():
    settings = Settings.from_env(
        {
            **BASE,
            "FORWARD_MAX_RETRIES": "1",
            "FORWARD_BUDGET_SECONDS": "2.5",
            "FORWARD_CONNECT_TIMEOUT_SECONDS": "0.2",
            "FORWARD_READ_TIMEOUT_SECONDS": "0.7",
            "FORWARD_RETRY_AFTER_MAX_SECONDS": "3",
        }
    )

    assert settings.forward_policy == ForwardPolicy(
        total=1, budget_s=2.5, connect_timeout=0.2, read_timeout=0.7, retry_after_max=3
    )


def test_table_not_needed_when_idempotency_is_disabled():
    settings = Settings.from_env({"SECRETS_NAME": "s", "POWERTOOLS_IDEMPOTENCY_DISABLED": "true"})

    assert settings.idempotency_disabled is True
    assert settings.idempotency_table is None


def test_local_secrets_json_replaces_the_secret_name():
    settings = Settings.from_env({"IDEMPOTENCY_TABLE": "t", "SECRETS_JSON": '{"a": 1}'})

    assert settings.secrets_json == '{"a": 1}'
    assert "SECRETS_JSON" not in repr(settings)
    assert '{"a": 1}' not in repr(settings)


def test_secrets_json_is_refused_in_a_deployed_lambda():
    environ = {**BASE, "SECRETS_JSON": "{}", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}

    with pytest.raises(ConfigurationError, match="SECRETS_JSON is for local runs only"):
        Settings.from_env(environ)


def test_secrets_json_is_allowed_under_sam_local():
    environ = {
        "IDEMPOTENCY_TABLE": "t",
        "SECRETS_JSON": "{}",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_SAM_LOCAL": "true",
    }

    assert Settings.from_env(environ).secrets_json == "{}"


def test_sources_dir():
    assert Settings.from_env({**BASE, "SOURCES_DIR": "/x"}).sources_dir == Path("/x")
