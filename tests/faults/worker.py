"""One Lambda container in its own process, for the scenarios where concurrency matters.

    python -m tests.faults.worker CONFIG.json
    python -m tests.faults.worker moto          (moto's server, in a process of its own)

CONFIG: ``{"role": "ingest" | "forward", "env": {...}, "result": PATH, ...}``. The process
applies ``env`` (AWS_ENDPOINT_URL points at the shared moto server), imports and warms up the
real handler, prints ``READY``, waits for ``GO`` on stdin (so every worker starts at once),
does its work and writes a JSON result to ``result``. Powertools' Logger and Metrics keep
module state, so concurrent containers are processes, as in Lambda, never threads.

- ingest: sends ``deliveries`` (source, body, headers) with ``vendor``'s retry policy;
- forward: drains the forward queue through the real forwarder, its pacer on a clock
  ``scale`` times faster than real time (``pacer_clock``), until the queue is empty.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Final

import tests.faults  # noqa: F401  (fake credentials, fixed names: before boto3 is imported)

READY: Final = "READY"
GO: Final = "GO"
GO_TIMEOUT_S: Final = 60.0


def _wait_for_go(protocol: Any) -> None:
    print(READY, file=protocol, flush=True)
    import select

    ready, _, _ = select.select([sys.stdin], [], [], GO_TIMEOUT_S)
    if not ready or sys.stdin.readline().strip() != GO:
        raise SystemExit("no GO from the parent")


def ingest(config: dict[str, Any], protocol: Any, stdout: io.StringIO) -> dict[str, Any]:
    from tests.faults import senders
    from tests.faults.harness import Answer
    from webhook_to_track.idempotency import DELIVERY_PREFIX, persistence_layer
    from webhook_to_track.ingest.handler import lambda_handler
    from webhook_to_track.local.context import LocalLambdaContext
    from webhook_to_track.queue import sink

    queued: dict[str, str] = {}

    def record(params: dict[str, Any], **_: Any) -> None:
        for entry in params.get("Entries", []):
            queued[json.loads(entry["MessageBody"])["key"]] = entry["MessageBody"]

    # warm up: the clients exist before GO, so the deliveries meet at DynamoDB
    sink.sqs_client().meta.events.register("provide-client-params.sqs.SendMessageBatch", record)
    persistence_layer(os.environ["IDEMPOTENCY_TABLE"], DELIVERY_PREFIX)

    def invoke(event: dict[str, Any]) -> Answer:
        context = LocalLambdaContext(function_name="ingest", timeout_s=config["timeout_s"])
        response = lambda_handler(event, context)
        return Answer(response["statusCode"], json.loads(response["body"]), response["headers"])

    vendor = getattr(senders, config["vendor"])
    _wait_for_go(protocol)
    started = time.monotonic()
    outcomes = []
    with contextlib.redirect_stdout(stdout):
        for item in config["deliveries"]:
            delivery = senders.Delivery(item["source"], item["body"], item.get("headers", {}))
            outcome = senders.send(vendor, delivery, config["secret"], invoke)
            outcomes.append({"statuses": outcome.statuses, "summaries": outcome.summaries})
    return {"outcomes": outcomes, "queued": queued, "seconds": time.monotonic() - started}


def forward(config: dict[str, Any], protocol: Any, stdout: io.StringIO) -> dict[str, Any]:
    import boto3

    from tests.faults.harness import REGION, Drainer, ScaledClock
    from webhook_to_track.queue import consumer, sink
    from webhook_to_track.queue.pacer import Pacer

    clock = ScaledClock(config["scale"])
    pacers: dict[tuple[int, int], Pacer] = {}

    def scaled_pacer(per_minute: int, workers: int) -> Pacer:
        key = (per_minute, workers)
        if key not in pacers:
            pacers[key] = Pacer(per_minute, workers, clock=clock.now, sleep=clock.sleep)
        return pacers[key]

    setattr(consumer, "get_pacer", scaled_pacer)  # noqa: B010  (this process only)
    drainer = Drainer(
        boto3.client("sqs", region_name=REGION),
        os.environ["FORWARD_QUEUE_URL"],
        sink.sqs_client(),
        clock,
        timeout_s=config["timeout_s"],
    )
    from webhook_to_track.queue.consumer import lambda_handler

    _wait_for_go(protocol)
    started = time.monotonic()
    with contextlib.redirect_stdout(stdout):
        drained = drainer.drain(
            lambda_handler, max_rounds=config["max_rounds"], deadline_s=config["deadline_s"]
        )
    return {
        "drained": drained,
        "batches": drainer.batches,
        "receives": drainer.receives,
        "seconds": time.monotonic() - started,
    }


def serve_moto() -> int:
    """moto's server on 127.0.0.1 (a free port) until stdin closes: ``READY <url>`` first.

    Its threads answer one request at a time: moto's backends are not thread-safe (two
    concurrent SQS deletes rebuild the message list from the same copy and one deletion is
    lost; a conditional PutItem checks, then writes), while AWS's own calls are atomic.
    """
    import logging
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.server import ThreadedMotoServer

    from tests.faults.harness import fast_moto_sqs

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    one_at_a_time = threading.Lock()
    dispatch = DomainDispatcherApplication.__call__

    def atomic(app: Any, environ: dict[str, Any], start_response: Any) -> Any:
        with one_at_a_time:
            return dispatch(app, environ, start_response)

    setattr(DomainDispatcherApplication, "__call__", atomic)  # noqa: B010
    with fast_moto_sqs():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        print(f"{READY} http://{host}:{port}", flush=True)
        sys.stdin.read()  # the parent closes it (or dies): stop
        server.stop()
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["moto"]:
        return serve_moto()
    config = json.loads(Path(argv[1]).read_text("utf-8"))
    os.environ.update(config["env"])
    protocol = sys.stdout
    stdout = io.StringIO()  # EMF blobs: returned to the parent, never mixed with the protocol
    from tests.faults.harness import logs_into

    logs = io.StringIO()
    with logs_into(logs):
        work = {"ingest": ingest, "forward": forward}[config["role"]]
        result = work(config, protocol, stdout)
    result["emf"] = stdout.getvalue()
    Path(config["result"]).write_text(json.dumps(result), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
