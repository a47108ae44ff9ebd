"""One local container for both functions: environment, moto DynamoDB and SQS, caches.

``invoke``, ``serve`` (and tests) run the real ingest handler on an API Gateway event, then
drain the forward queue through the real forwarder handler, as Lambda's event source mapping
would. Everything stays up between calls, so the idempotency records hold: a delivery sent
twice answers as a duplicate the second time.

AWS is moto, either in-process (``invoke``: nothing listens) or as a moto server on 127.0.0.1
(``serve``: other terminals can read its table and queues with ``--endpoint-url``); the
handlers reach the server through ``AWS_ENDPOINT_URL``, which every boto3 client honours.

Logs and metrics go to stderr, so stdout carries only what the command prints: by default
only WARNING and above, no EMF metrics; ``verbose`` shows INFO logs and the metrics.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Final, cast

from webhook_to_track.local.aws import FAKE_CREDENTIALS, REGION, Queues
from webhook_to_track.local.context import LocalLambdaContext

LOCAL_TABLE: Final = "webhook-to-track-local-idempotency"
LOCAL_PREFIX: Final = "webhook-to-track-local"
FORWARDER_TIMEOUT_S: Final = 30.0
QUIET_LEVEL: Final = "WARNING"
VERBOSE_LEVEL: Final = "INFO"
LOG_LEVEL_VARIABLE: Final = "POWERTOOLS_LOG_LEVEL"
ENDPOINT_VARIABLE: Final = "AWS_ENDPOINT_URL"
"""boto3's own variable (botocore >= 1.31): every client built while it is set uses it."""
SERVER_LOGGERS: Final = ("werkzeug",)
"""The moto server's request lines (one per AWS call): never shown."""


@dataclass
class Drained:
    """What the forwarder did with the queue: the messages it saw and what it answered."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    rounds: int = 0
    parked: int = 0
    """Calls that went to the dead-letter queue during the drain."""
    waiting: int = 0
    """Calls left in the forward queue, hidden until their next try."""

    @property
    def delivered(self) -> int:
        """Calls the forwarder finished (sent, or shown in a dry run), parked ones excluded."""
        return max(0, len(self.messages) - self.failed - self.parked)


class _Discard(io.TextIOBase):
    """A stdout that drops what is printed to it (the EMF metrics, when not verbose)."""

    def write(self, text: str) -> int:
        return len(text)


def log_level(environment: Mapping[str, str], verbose: bool) -> str:
    """WARNING by default; with ``verbose`` INFO, or DEBUG when the environment asks for it."""
    if not verbose:
        return QUIET_LEVEL
    asked = environment.get(LOG_LEVEL_VARIABLE, "").strip().upper()
    return "DEBUG" if asked == "DEBUG" else VERBOSE_LEVEL


@contextlib.contextmanager
def local_logs(level: str, stream: IO[str]) -> Iterator[None]:
    """The functions' Powertools logs on ``stream`` at ``level``; the moto server's request
    log off. Everything is put back on exit."""
    from webhook_to_track.observability import logger

    standard = logging.getLogger(logger.name)
    saved_level = standard.level
    handler = logger.registered_handler
    stream_handler = handler if isinstance(handler, logging.StreamHandler) else None
    saved_stream = stream_handler.setStream(stream) if stream_handler else None
    servers = {name: logging.getLogger(name).level for name in SERVER_LOGGERS}
    logger.setLevel(level)
    for name in SERVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        standard.setLevel(saved_level)
        if stream_handler is not None and saved_stream is not None:
            with contextlib.suppress(ValueError):  # ``stream`` may be closed by now
                stream_handler.flush()
            stream_handler.stream = saved_stream
        for name, level_before in servers.items():
            logging.getLogger(name).setLevel(level_before)


class LocalAwsError(Exception):
    """The local AWS server could not start (its port is taken)."""


@dataclass(frozen=True, slots=True)
class AwsServer:
    """Where ``serve`` runs its moto server: loopback, a port (0: any free one)."""

    host: str = "127.0.0.1"
    port: int = 5005


@contextlib.contextmanager
def served_aws(
    template: Mapping[str, Any], table_name: str, prefix: str, where: AwsServer
) -> Iterator[tuple[str, Queues]]:
    """A moto server on ``where`` holding the template's table and queues: (its URL, queues).

    The same pieces as moto's ThreadedMotoServer, on a socket bound here: a busy port raises
    OSError at once (ThreadedMotoServer binds in its thread and would wait forever, and
    werkzeug's own bind calls sys.exit).
    """
    import socket
    import threading

    import boto3
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from webhook_to_track.local.aws import (
        create_forward_queues,
        create_idempotency_table,
        patched_environ,
    )

    family = socket.AF_INET6 if ":" in where.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listening:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listening.bind((where.host, where.port))
        except OSError as exc:
            raise LocalAwsError(
                f"cannot start the local AWS on {where.host}:{where.port}: {exc.strerror or exc}"
            ) from None
        listening.listen(64)
        app = DomainDispatcherApplication(create_backend_app)
        server = make_server(
            where.host,
            where.port,
            app,
            threaded=True,
            request_handler=MotoRequestHandler,
            fd=listening.fileno(),  # werkzeug duplicates it
        )
    port = server.server_address[1]
    url = f"http://{f'[{where.host}]' if ':' in where.host else where.host}:{port}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        _reset_moto(where.host, port)  # the backends live in this process: start from nothing
        with patched_environ({**FAKE_CREDENTIALS, ENDPOINT_VARIABLE: url}):
            create_idempotency_table(
                boto3.client("dynamodb", region_name=REGION), template, table_name
            )
            queues = create_forward_queues(
                boto3.client("sqs", region_name=REGION), template, prefix
            )
            yield url, queues
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _reset_moto(host: str, port: int) -> None:
    """moto server's documented reset (POST /moto-api/reset): every backend emptied."""
    import http.client

    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("POST", "/moto-api/reset")
        connection.getresponse().read()
    finally:
        connection.close()


class LocalRuntime:
    """Use as a context manager; inside it, ``ingest`` and ``drain`` run the real handlers.

    ``aws_server``: None for an in-process moto (nothing listens), else where to run a moto
    server (``endpoint_url`` then says where it is). ``verbose``: INFO logs and EMF metrics
    instead of warnings only. ``log_stream``: where logs go (default: stderr).
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        environment: Mapping[str, str],
        timeout_s: float,
        *,
        verbose: bool = False,
        aws_server: AwsServer | None = None,
        log_stream: IO[str] | None = None,
    ) -> None:
        self._template = template
        self._level = log_level(environment, verbose)
        self._environment = {**environment, LOG_LEVEL_VARIABLE: self._level}
        self._timeout_s = timeout_s
        self._verbose = verbose
        self._log_stream = log_stream
        self._err: IO[str] = sys.stderr
        self._aws_server = aws_server
        self._stack = contextlib.ExitStack()
        self._sqs: Any = None
        self.queue_url = ""
        self.dlq_url = ""
        self.table = LOCAL_TABLE
        self.endpoint_url: str | None = None

    def __enter__(self) -> LocalRuntime:
        from webhook_to_track.local.aws import embedded_aws, patched_environ

        stack = self._stack
        try:
            stack.enter_context(patched_environ(self._environment))
            self._err = self._log_stream or sys.stderr
            stack.enter_context(local_logs(self._level, self._err))
            if self._aws_server is None:
                queues = stack.enter_context(
                    embedded_aws(self._template, LOCAL_TABLE, LOCAL_PREFIX)
                )
            else:
                self.endpoint_url, queues = stack.enter_context(
                    served_aws(self._template, LOCAL_TABLE, LOCAL_PREFIX, self._aws_server)
                )
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
            from webhook_to_track.local.reset import reset_caches

            reset_caches()
            stack.callback(reset_caches)  # nothing built on this AWS outlives it
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _handler_output(self) -> contextlib.AbstractContextManager[object]:
        """Where a handler's prints (the EMF metrics) go: the log stream when verbose, else
        nowhere."""
        target: IO[str] = self._err if self._verbose else cast(IO[str], _Discard())
        return contextlib.redirect_stdout(target)

    def check_settings(self) -> None:
        """Parse the settings and compile the source files now, as a cold start would.

        Raises:
            ConfigurationError: every invalid or missing setting, or every source file problem.
        """
        from webhook_to_track.registry import get_registry
        from webhook_to_track.settings import get_settings

        get_registry(get_settings().sources_dir)

    def ingest(self, event: dict[str, Any]) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.typing import LambdaContext

        with self._handler_output():
            from webhook_to_track.ingest.handler import lambda_handler

            context = LocalLambdaContext(timeout_s=self._timeout_s)
            result: dict[str, Any] = lambda_handler(event, cast(LambdaContext, context))
        return result

    def _client(self) -> Any:
        if self._sqs is None:
            import boto3

            self._sqs = boto3.client("sqs", region_name=REGION)
        return self._sqs

    def drain(self, max_rounds: int = 100, max_seconds: float = 60.0) -> Drained:
        """Feed the forwarder until no message is visible (bounded in rounds and time)."""
        from webhook_to_track.local.pump import pump_once

        client = self._client()
        drained = Drained()
        parked_before = _count(client, self.dlq_url)
        deadline = time.monotonic() + max_seconds
        with self._handler_output():
            from webhook_to_track.queue.consumer import lambda_handler

            while drained.rounds < max_rounds and time.monotonic() < deadline:
                context = LocalLambdaContext(
                    function_name="webhook-to-track-local-forwarder",
                    timeout_s=FORWARDER_TIMEOUT_S,
                )
                outcome = pump_once(client, self.queue_url, lambda_handler, context)
                if outcome is None:
                    break
                event, response = outcome
                drained.rounds += 1
                drained.messages.extend(json.loads(r["body"]) for r in event["Records"])
                drained.requests.extend(response.get("dryRun", []))
                drained.failed += len(response.get("batchItemFailures", []))
        # SQS itself may move a call to the DLQ (maxReceiveCount) during a receive that
        # returns nothing: count the DLQ after every drain, visible or not.
        drained.parked = max(0, _count(client, self.dlq_url) - parked_before)
        drained.waiting = _count(client, self.queue_url)  # also what a cut-short drain left
        return drained


def _count(client: Any, queue_url: str) -> int:
    """The messages in a queue, visible or not (another terminal's dlq list hides them)."""
    attributes = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    answer = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=attributes)
    found = answer.get("Attributes", {})
    return sum(int(found.get(name, 0)) for name in attributes)


@contextlib.contextmanager
def local_runtime(
    template: Mapping[str, Any],
    environment: Mapping[str, str],
    timeout_s: float,
    *,
    verbose: bool = False,
    aws_server: AwsServer | None = None,
    log_stream: IO[str] | None = None,
) -> Iterator[LocalRuntime]:
    with LocalRuntime(
        template,
        environment,
        timeout_s,
        verbose=verbose,
        aws_server=aws_server,
        log_stream=log_stream,
    ) as runtime:
        yield runtime
