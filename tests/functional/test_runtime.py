"""The local runtime: one container whose AWS, environment and caches outlive each call."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from tests.factories import (
    ROOT,
    VEHICLE_SOURCES,
    make_event,
    payload,
    secrets_json,
    stripe_header,
)
from webhook_to_track.local.runtime import LocalRuntime, local_logs, log_level
from webhook_to_track.local.template import FUNCTION_ID, function_environment, load_template
from webhook_to_track.observability import logger


@pytest.fixture
def environment() -> dict[str, str]:
    template = load_template(ROOT / "template.yaml")
    values = function_environment(template, {}, FUNCTION_ID)
    return {
        **values,
        "SECRETS_JSON": secrets_json(),
        "SOURCES_DIR": str(VEHICLE_SOURCES),  # the tests' own senders, not the shipped ones
        "POWERTOOLS_IDEMPOTENCY_DISABLED": "false",
        "FORWARD_MODE": "dry-run",
    }


def runtime(environment: dict[str, str], **options: Any) -> LocalRuntime:
    return LocalRuntime(load_template(ROOT / "template.yaml"), environment, 10.0, **options)


def test_a_delivery_sent_twice_in_one_runtime_is_a_duplicate(environment):
    with runtime(environment) as local:
        first = local.ingest(make_event())
        forwarded = local.drain()
        second = local.ingest(make_event())
        again = local.drain()

    assert first["statusCode"] == second["statusCode"] == 202
    assert "duplicate" not in json.loads(first["body"])
    assert json.loads(second["body"])["duplicate"] is True
    assert (len(forwarded.requests), forwarded.delivered) == (2, 2)
    assert again.messages == []
    assert again.requests == []


def test_each_runtime_starts_empty(environment):
    for _ in range(2):
        with runtime(environment) as local:
            answer = json.loads(local.ingest(make_event())["body"])
            assert "duplicate" not in answer


def test_a_second_delivery_is_forwarded_in_the_same_runtime(environment):
    other = payload("stripe", "checkout.session.completed")
    with runtime(environment) as local:
        local.ingest(make_event())
        local.drain()
        local.ingest(make_event(other, signature=stripe_header(other)))
        drained = local.drain()

    names = [request["body"]["event_name"] for request in drained.requests]
    assert names == ["checkout_subscription_completed"]


def test_the_served_aws_has_an_endpoint_and_embedded_has_none(environment):
    from webhook_to_track.local.runtime import AwsServer

    with runtime(environment) as embedded:
        assert embedded.endpoint_url is None
    with runtime(environment, aws_server=AwsServer(port=0)) as served:
        assert served.endpoint_url is not None
        assert served.endpoint_url.startswith("http://127.0.0.1:")
        assert served.queue_url.startswith(served.endpoint_url)


@pytest.mark.parametrize(
    ("verbose", "asked", "level"),
    [
        (False, "INFO", "WARNING"),
        (False, "DEBUG", "WARNING"),
        (True, "", "INFO"),
        (True, "WARNING", "INFO"),
        (True, "debug", "DEBUG"),
    ],
)
def test_log_level(verbose, asked, level):
    assert log_level({"POWERTOOLS_LOG_LEVEL": asked}, verbose) == level


def test_local_logs_set_the_stream_and_level_and_put_them_back():
    standard = logging.getLogger(logger.name)
    level_before = standard.level
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream_before = handler.stream
    stream = io.StringIO()

    with local_logs("WARNING", stream):
        logger.info("not shown")
        logger.warning("shown")

    assert [json.loads(line)["message"] for line in stream.getvalue().splitlines()] == ["shown"]
    assert standard.level == level_before
    assert handler.stream is stream_before


def test_metrics_are_dropped_by_default_and_logged_when_verbose(environment, capsys):
    quiet_log, verbose_log = io.StringIO(), io.StringIO()
    with runtime(environment, log_stream=quiet_log) as local:
        local.ingest(make_event())
    with runtime(environment, log_stream=verbose_log, verbose=True) as local:
        local.ingest(make_event())

    assert '"_aws"' not in quiet_log.getvalue()
    assert '"_aws"' in verbose_log.getvalue()
    assert capsys.readouterr().out == ""
