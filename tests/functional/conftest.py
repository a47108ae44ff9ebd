"""Functional fixtures: moto's DynamoDB with the template's own table, a real HTTP Userpilot
stand-in on 127.0.0.1, and a helper that runs the real lambda_handler in-process."""

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
from webhook_to_track.local.aws import create_idempotency_table
from webhook_to_track.local.context import LocalLambdaContext
from webhook_to_track.local.template import load_template

TABLE = "test-idempotency"


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
def userpilot() -> Iterator[UserpilotStub]:
    stub = UserpilotStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, userpilot: UserpilotStub) -> Callable[..., None]:
    """Set the function's environment: defaults for tests, then the given overrides."""

    def apply(**overrides: str) -> None:
        values = {
            "IDEMPOTENCY_TABLE": TABLE,
            "SECRETS_JSON": secrets_json(),
            "USERPILOT_HOST": userpilot.url,
            "FORWARD_MODE": "send",
            "FORWARD_BUDGET_SECONDS": "4",
            "FORWARD_CONNECT_TIMEOUT_SECONDS": "0.5",
            "FORWARD_READ_TIMEOUT_SECONDS": "1",
            "FORWARD_MAX_RETRIES": "2",
            "FORWARD_RETRY_AFTER_MAX_SECONDS": "1",
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
    """Call the real lambda_handler in-process, as the Lambda runtime would."""
    from webhook_to_track.handler import lambda_handler

    context = cast(LambdaContext, LocalLambdaContext(timeout_s=timeout_s))
    response = lambda_handler(event, context)
    assert set(response) >= {"statusCode", "headers", "body"}
    assert response["headers"]["content-type"] == "application/json"
    return Answer(response["statusCode"], response["headers"], json.loads(response["body"]))


@pytest.fixture
def invoke(aws: Any, env: Callable[..., None]) -> Callable[..., Answer]:
    """Run the handler with AWS mocked and the environment set."""
    return run_handler


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
