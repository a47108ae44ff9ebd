"""Functional fixtures: moto's DynamoDB and SQS with the template's own table and queues, a real
HTTP Userpilot stand-in on 127.0.0.1, and helpers that run the real handlers in-process: the
ingest handler on an API Gateway event, the forwarder on what the queue holds."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws

from tests.factories import TEMPLATE, secrets_json
from tests.userpilot_stub import UserpilotStub
from webhook_to_track.local.aws import Queues, create_forward_queues, create_idempotency_table
from webhook_to_track.local.context import LocalLambdaContext
from webhook_to_track.local.pump import pump_once
from webhook_to_track.local.template import load_template

TABLE = "test-idempotency"
QUEUE_PREFIX = "test"


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture
def aws(template: dict[str, Any]) -> Iterator[Any]:
    """In-process AWS with the idempotency table built from template.yaml's definition."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_idempotency_table(client, template, TABLE)
        yield client


@pytest.fixture
def queues(aws: Any, template: dict[str, Any]) -> Queues:
    """The forward queue and its dead-letter queue, as the template defines them."""
    return create_forward_queues(
        boto3.client("sqs", region_name="us-east-1"), template, QUEUE_PREFIX
    )


@pytest.fixture
def userpilot() -> Iterator[UserpilotStub]:
    stub = UserpilotStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, userpilot: UserpilotStub, queues: Queues
) -> Callable[..., None]:
    """Set the functions' environment: defaults for tests, then the given overrides."""

    def apply(**overrides: str) -> None:
        values = {
            "IDEMPOTENCY_TABLE": TABLE,
            "SECRETS_JSON": secrets_json(),
            "USERPILOT_HOST": userpilot.url,
            "FORWARD_MODE": "send",
            "FORWARD_QUEUE_URL": queues.queue_url,
            "FORWARD_DLQ_URL": queues.dlq_url,
            "FORWARD_CONNECT_TIMEOUT_SECONDS": "0.5",
            "FORWARD_READ_TIMEOUT_SECONDS": "1",
            "FORWARD_CONNECT_RETRIES": "1",
            # The pacer's own tests cover the rate; here it must not slow the suite down.
            "USERPILOT_REQUESTS_PER_MINUTE": "600",
            **overrides,
        }
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    apply()
    return apply


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def error_code(self) -> str | None:
        return self.body.get("error", {}).get("code")


def run_handler(event: dict[str, Any], timeout_s: float = 10.0) -> Answer:
    """Call the real ingest lambda_handler in-process, as the Lambda runtime would."""
    from webhook_to_track.ingest.handler import lambda_handler

    context = cast(LambdaContext, LocalLambdaContext(timeout_s=timeout_s))
    response = lambda_handler(event, context)
    assert set(response) >= {"statusCode", "headers", "body"}
    assert response["headers"]["content-type"] == "application/json"
    return Answer(response["statusCode"], response["headers"], json.loads(response["body"]))


@dataclass
class Forwarded:
    """What draining the queue did: every batch answer, and each record's body."""

    responses: list[dict[str, Any]]
    bodies: list[dict[str, Any]]

    @property
    def failures(self) -> int:
        return sum(len(r.get("batchItemFailures", [])) for r in self.responses)


def drain_queue(queue_url: str, max_rounds: int = 20, timeout_s: float = 30.0) -> Forwarded:
    """Feed the real forwarder handler until no message is visible (bounded)."""
    from webhook_to_track.queue.consumer import lambda_handler

    client = boto3.client("sqs", region_name="us-east-1")
    responses: list[dict[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    for _ in range(max_rounds):
        context = LocalLambdaContext(function_name="forwarder", timeout_s=timeout_s)
        outcome = pump_once(client, queue_url, lambda_handler, context)
        if outcome is None:
            break
        event, response = outcome
        responses.append(response)
        bodies.extend(_document(r["body"]) for r in event["Records"])
    return Forwarded(responses, bodies)


def _document(body: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"unparsed": body}
    return parsed if isinstance(parsed, dict) else {"unparsed": body}


@pytest.fixture
def invoke(aws: Any, env: Callable[..., None]) -> Callable[..., Answer]:
    """Run the ingest handler with AWS mocked and the environment set."""
    return run_handler


@pytest.fixture
def forward(queues: Queues, env: Callable[..., None]) -> Callable[..., Forwarded]:
    """Drain the forward queue through the real forwarder handler."""
    return lambda **kwargs: drain_queue(queues.queue_url, **kwargs)


@pytest.fixture
def deliver(
    invoke: Callable[..., Answer], forward: Callable[..., Forwarded]
) -> Callable[..., tuple[Answer, Forwarded]]:
    """Ingest one event, then forward what it queued: the whole path, as deployed."""

    def run(event: dict[str, Any], **kwargs: Any) -> tuple[Answer, Forwarded]:
        answer = invoke(event, **kwargs)
        return answer, forward()

    return run


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The function's JSON log lines, as CloudWatch would receive them."""
    import io

    from webhook_to_track.observability import logger

    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield read
    handler.setStream(previous)
