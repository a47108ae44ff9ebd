"""Settings.from_env: defaults, every bad value reported at once, secrets never in repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from webhook_to_track.errors import ConfigurationError
from webhook_to_track.settings import LOCAL_ONLY, Settings
from webhook_to_track.userpilot.policy import ForwardPolicy

BASE = {"IDEMPOTENCY_TABLE": "t", "SECRETS_NAME": "arn:aws:secretsmanager:x"}


def test_defaults():
    settings = Settings.from_env(BASE)

    assert settings.userpilot_url == "https://analytex.userpilot.io"
    assert settings.forward_mode == "send"
    assert settings.forward_policy == ForwardPolicy()
    assert settings.idempotency_window_s == 7 * 24 * 3600
    assert settings.call_window_s == 19 * 24 * 3600
    assert (settings.requests_per_minute, settings.forwarder_concurrency) == (480, 2)
    assert (settings.queue_url, settings.dlq_url) == (None, None)
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
        "FORWARD_CONNECT_RETRIES": "many",
        "FORWARD_AMBIGUOUS": "sometimes",
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
            "FORWARD_CONNECT_RETRIES": "1",
            "FORWARD_CONNECT_TIMEOUT_SECONDS": "0.2",
            "FORWARD_READ_TIMEOUT_SECONDS": "0.7",
            "FORWARD_RETRY_AFTER_MAX_SECONDS": "3",
            "FORWARD_AMBIGUOUS": "park",
        }
    )

    assert settings.forward_policy == ForwardPolicy(
        connect_retries=1, connect_timeout=0.2, read_timeout=0.7, delay_max_s=3, ambiguous="park"
    )


@pytest.mark.parametrize(("value", "ok"), [("600", True), ("601", False), ("0", False)])
def test_requests_per_minute_stays_within_userpilots_limit(value, ok):
    environ = {**BASE, "USERPILOT_REQUESTS_PER_MINUTE": value}
    if ok:
        assert Settings.from_env(environ).requests_per_minute == int(value)
    else:
        with pytest.raises(ConfigurationError, match="USERPILOT_REQUESTS_PER_MINUTE"):
            Settings.from_env(environ)


def test_forwarder_concurrency_below_the_event_source_minimum_is_refused():
    with pytest.raises(ConfigurationError, match="FORWARDER_MAX_CONCURRENCY"):
        Settings.from_env({**BASE, "FORWARDER_MAX_CONCURRENCY": "1"})


def test_timeouts_that_could_outlive_the_forwarder_are_refused():
    environ = {
        **BASE,
        "FORWARD_CONNECT_TIMEOUT_SECONDS": "10",
        "FORWARD_READ_TIMEOUT_SECONDS": "20",
    }

    with pytest.raises(ConfigurationError, match="one forward could take"):
        Settings.from_env(environ)


def test_queue_url_is_required_in_a_deployed_lambda():
    environ = {**BASE, "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}

    with pytest.raises(ConfigurationError, match="FORWARD_QUEUE_URL"):
        Settings.from_env(environ)


def test_table_not_needed_when_idempotency_is_disabled():
    settings = Settings.from_env({"SECRETS_NAME": "s", "POWERTOOLS_IDEMPOTENCY_DISABLED": "true"})

    assert settings.idempotency_disabled is True
    assert settings.idempotency_table is None


def test_idempotency_cannot_be_disabled_in_a_deployed_lambda():
    environ = {
        **BASE,
        "FORWARD_QUEUE_URL": "q",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "POWERTOOLS_IDEMPOTENCY_DISABLED": "true",
    }

    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(environ)

    assert raised.value.problems == [
        "POWERTOOLS_IDEMPOTENCY_DISABLED=true turns deduplication off: for sam local only,"
        " never in AWS"
    ]


def test_idempotency_can_be_disabled_under_sam_local():
    environ = {
        "SECRETS_NAME": "s",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_SAM_LOCAL": "true",
        "POWERTOOLS_IDEMPOTENCY_DISABLED": "true",
    }

    assert Settings.from_env(environ).idempotency_disabled is True


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


@pytest.mark.parametrize("name", sorted(LOCAL_ONLY))
def test_every_local_only_variable_is_refused_in_a_deployed_lambda(name):
    deployed = {**BASE, "FORWARD_QUEUE_URL": "q", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}
    Settings.from_env(deployed)  # control: without it, the same environment parses

    with pytest.raises(ConfigurationError, match=f"{name} is for local runs only"):
        Settings.from_env({**deployed, name: "1"})


@pytest.mark.parametrize("name", sorted(LOCAL_ONLY))
def test_local_only_variables_are_allowed_under_sam_local(name):
    sam_local = {**BASE, "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13", "AWS_SAM_LOCAL": "true"}

    Settings.from_env({**sam_local, name: "1"})
