"""One local container for both functions: environment, moto DynamoDB and SQS, caches.

``invoke`` (and tests) run the real ingest handler on an API Gateway event, then drain the
forward queue through the real forwarder handler, as Lambda's event source mapping would.
Logs and metrics go to stderr, so stdout carries only what the command prints.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from webhook_to_track.local.context import LocalLambdaContext

LOCAL_TABLE: Final = "webhook-to-track-local-idempotency"
LOCAL_PREFIX: Final = "webhook-to-track-local"
FORWARDER_TIMEOUT_S: Final = 30.0


@dataclass
class Drained:
    """What the forwarder did with the queue: the messages it saw and what it answered."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    rounds: int = 0


class LocalRuntime:
    """Use as a context manager; inside it, ``ingest`` and ``drain`` run the real handlers."""

    def __init__(
        self, template: Mapping[str, Any], environment: Mapping[str, str], timeout_s: float
    ) -> None:
        self._template = template
        self._environment = dict(environment)
        self._timeout_s = timeout_s
        self._stack = contextlib.ExitStack()
        self.queue_url = ""
        self.dlq_url = ""

    def __enter__(self) -> LocalRuntime:
        from webhook_to_track.local.aws import embedded_aws, patched_environ

        stack = self._stack
        stack.enter_context(patched_environ(self._environment))
        queues = stack.enter_context(embedded_aws(self._template, LOCAL_TABLE, LOCAL_PREFIX))
        self.queue_url, self.dlq_url = queues.queue_url, queues.dlq_url
        stack.enter_context(
            patched_environ(
                {
                    "IDEMPOTENCY_TABLE": LOCAL_TABLE,
                    "FORWARD_QUEUE_URL": self.queue_url,
                    "FORWARD_DLQ_URL": self.dlq_url,
                }
            )
        )
        stack.enter_context(contextlib.redirect_stdout(sys.stderr))
        from webhook_to_track.local.reset import reset_caches

        reset_caches()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def ingest(self, event: dict[str, Any]) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.typing import LambdaContext

        from webhook_to_track.ingest.handler import lambda_handler

        context = LocalLambdaContext(timeout_s=self._timeout_s)
        result: dict[str, Any] = lambda_handler(event, cast(LambdaContext, context))
        return result

    def drain(self, max_rounds: int = 100, max_seconds: float = 60.0) -> Drained:
        """Feed the forwarder until no message is visible (bounded in rounds and time)."""
        import boto3

        from webhook_to_track.local.pump import pump_once
        from webhook_to_track.queue.consumer import lambda_handler

        client = boto3.client("sqs")
        drained = Drained()
        deadline = time.monotonic() + max_seconds
        while drained.rounds < max_rounds and time.monotonic() < deadline:
            context = LocalLambdaContext(
                function_name="webhook-to-track-local-forwarder", timeout_s=FORWARDER_TIMEOUT_S
            )
            outcome = pump_once(client, self.queue_url, lambda_handler, context)
            if outcome is None:
                break
            event, response = outcome
            drained.rounds += 1
            drained.messages.extend(json.loads(r["body"]) for r in event["Records"])
            drained.requests.extend(response.get("dryRun", []))
            drained.failed += len(response.get("batchItemFailures", []))
        return drained


@contextlib.contextmanager
def local_runtime(
    template: Mapping[str, Any], environment: Mapping[str, str], timeout_s: float
) -> Iterator[LocalRuntime]:
    with LocalRuntime(template, environment, timeout_s) as runtime:
        yield runtime
