"""Functional fixtures: moto's DynamoDB and SQS with the template's own table and queues, a real
HTTP Userpilot stand-in on 127.0.0.1, and helpers that run the real handlers in-process: the
ingest handler on an API Gateway event, the forwarder on what the queue holds."""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.stub import Stubber
from moto import mock_aws

from tests.factories import (
    ROOT,
    TEMPLATE,
    VEHICLE_PAYLOADS,
    VEHICLE_SECRETS,
    VEHICLE_SOURCES,
    secrets_json,
)
from tests.userpilot_stub import UserpilotStub
from webhook_to_track.local.aws import Queues, create_forward_queues, create_idempotency_table
from webhook_to_track.local.context import LocalLambdaContext
from webhook_to_track.local.pump import pump_once
from webhook_to_track.local.stack import Endpoint
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
            "SOURCES_DIR": str(VEHICLE_SOURCES),  # the tests' own senders, not the shipped ones
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


@pytest.fixture
def vehicle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory for a command that needs a real sender: a project holding only
    the tests' own senders (tests/vehicle: their samples, signed now under events/<source>/
    with a bad-signature.json each, and their local secrets), the template and env.json; the
    commands' --sources-dir is tests/vehicle/sources. The shipped senders may change or go."""
    from webhook_to_track.cli import signed_event
    from webhook_to_track.cli.events import BAD_SIGNING_KEY
    from webhook_to_track.local.events import is_sample_payload, sample_headers
    from webhook_to_track.local.secrets import LOCAL_SECRETS_FILE, load_local_secrets
    from webhook_to_track.registry import load_registry

    project = tmp_path / "project"
    shutil.copytree(VEHICLE_PAYLOADS, project / "events" / "payloads")
    shutil.copy(VEHICLE_SECRETS, project / LOCAL_SECRETS_FILE)
    for name in ("template.yaml", "env.json"):
        shutil.copy(ROOT / name, project / name)
    now = int(time.time())
    for source in load_registry(VEHICLE_SOURCES).sources.values():
        secret = load_local_secrets(VEHICLE_SECRETS).for_source(source.name)[0]
        samples = sorted(
            p for p in (VEHICLE_PAYLOADS / source.name).iterdir() if is_sample_payload(p)
        )
        cases = [(p.stem, p, secret) for p in samples] + [
            ("bad-signature", samples[0], BAD_SIGNING_KEY)
        ]
        (project / "events" / source.name).mkdir()
        for case, sample, key in cases:
            event = signed_event(source, sample.read_bytes(), key, now, sample_headers(sample))
            (project / "events" / source.name / f"{case}.json").write_text(json.dumps(event))
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCES_DIR", str(VEHICLE_SOURCES))
    return project


@pytest.fixture
def cloudformation(monkeypatch: pytest.MonkeyPatch):
    """A real boto3 CloudFormation client whose answers are stubbed (moto's CloudFormation
    needs extras this project does not install); SQS stays moto's."""
    client = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(client)
    real = Endpoint.client

    def make(self: Endpoint, service: str) -> Any:
        return client if service == "cloudformation" else real(self, service)

    monkeypatch.setattr(Endpoint, "client", make)
    monkeypatch.chdir(ROOT)  # samconfig.toml names the stack
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()
