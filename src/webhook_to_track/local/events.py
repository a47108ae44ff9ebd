"""Build API Gateway HTTP API (payload 2.0) events exactly as API Gateway would send them."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from webhook_to_track.local.files import replace_text
from webhook_to_track.request import lowercase_headers

if TYPE_CHECKING:
    from collections.abc import Sequence

    from webhook_to_track.queue.message import QueuedCall
    from webhook_to_track.registry import Registry, Source


def make_apigw_event(
    source: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    method: str = "POST",
    request_id: str | None = None,
    now: float | None = None,
    base64_body: bool | None = None,
    query: str = "",
) -> dict[str, Any]:
    """An HTTP API event: header names lowercased; the body as text for JSON and text content
    types, base64 otherwise (as HTTP API does for form bodies) or when it is not UTF-8."""
    moment = time.time() if now is None else now
    path = f"/webhooks/{source}"
    if base64_body is None:
        base64_body = not _is_text(lowercase_headers(headers).get("content-type"))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            base64_body = True
    if base64_body:
        text = base64.b64encode(body).decode("ascii")
    wire_headers = lowercase_headers(
        {
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "content-length": str(len(body)),
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "x-amzn-trace-id": f"Root=1-{int(moment):08x}-{uuid.uuid4().hex[:24]}",
            **headers,
        }
    )
    route_key = "POST /webhooks/{source}"
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": wire_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": wire_headers.get("user-agent", ""),
            },
            "requestId": request_id or f"{uuid.uuid4().hex[:14]}=",
            "routeKey": route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(moment, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(moment * 1000),
        },
        "pathParameters": {"source": source},
        "body": text,
        "isBase64Encoded": base64_body,
    }


def _is_text(content_type: str | None) -> bool:
    """Whether API Gateway hands this body over as text (no content type: assume JSON)."""
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    return kind.startswith("text/") or kind == "application/json" or kind.endswith("+json")


def event_body(event: Mapping[str, Any]) -> bytes:
    """The raw body bytes of an event (base64-decoded when flagged)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode("utf-8")


def signed_at(event: Mapping[str, Any]) -> int | None:
    """The Unix second a sample event was made (and signed) at, from its timeEpoch."""
    epoch = (event.get("requestContext") or {}).get("timeEpoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch <= 0:
        return None
    return epoch // 1000


PER_WRITE_HEADERS = frozenset({"x-amzn-trace-id"})
"""Headers make_apigw_event draws anew for every event, like requestContext.requestId."""


def same_event(a: Mapping[str, Any], b: Mapping[str, Any], signature: Iterable[str]) -> bool:
    """Whether two events are the same but for their ``signature`` headers and the ids drawn
    anew for every event (trace id, request id)."""
    left_out = set(signature) | PER_WRITE_HEADERS

    def comparable(event: Mapping[str, Any]) -> dict[str, Any]:
        headers = event.get("headers")
        context = event.get("requestContext")
        return {
            **event,
            "headers": {k: v for k, v in (headers or {}).items() if k not in left_out},
            "requestContext": {k: v for k, v in (context or {}).items() if k != "requestId"},
        }

    return comparable(a) == comparable(b)


@dataclass(slots=True)
class SampleChanges:
    """What refreshing the sample events did, file by file."""

    rewritten: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def write_json_if_changed(path: Path, document: Any, changes: SampleChanges) -> None:
    """Write ``document`` (indented, as the samples are) unless the file already holds it."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text("utf-8") == text:
        changes.unchanged.append(path)
        return
    replace_text(path, text)
    changes.rewritten.append(path)


HEADERS_SUFFIX = ".headers.json"


def is_sample_payload(path: Path) -> bool:
    """A payload file of events/payloads/<source>/ (not a headers sidecar)."""
    return path.is_file() and not path.name.endswith(HEADERS_SUFFIX)


def sample_headers(payload: Path) -> dict[str, str]:
    """The headers a sample sends besides its signature (e.g. x-shopify-topic), from
    ``<case>.headers.json`` next to ``<case>.<ext>``; none when there is no such file."""
    sidecar = payload.with_name(payload.stem + HEADERS_SUFFIX)
    if not sidecar.exists():
        return {}
    headers = json.loads(sidecar.read_text("utf-8"))
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ValueError(f"{sidecar}: expected an object of header name -> string value")
    return {str(name).lower(): value for name, value in headers.items()}


# --- the forwarder's events (Lambda's SQS event source) ------------------------------------------

FORWARD_QUEUE_NAME = "webhook-to-track-ForwardQueue"
SAMPLE_RECEIVED_AT = "2026-12-01T00:00:00Z"
"""The fixed ``received_at`` of the committed forwarder samples (so they do not change)."""
FORWARDER_SAMPLES = {"stripe-invoice.paid.json": ("stripe", "invoice.paid.json")}
"""events/forwarder/<file> -> (source, its payload under events/payloads/<source>/)."""


def make_sqs_event(
    bodies: list[str],
    queue_name: str = FORWARD_QUEUE_NAME,
    *,
    sent_at: float | None = None,
) -> dict[str, Any]:
    """A Lambda SQS event holding one record per body, as the event source mapping sends it
    (the same record shape as the local pump's). Ids and handles derive from the queue name,
    position and body, so the same input gives the same event; ``sent_at`` (unix seconds,
    default now) is each message's SentTimestamp and first receive."""
    from webhook_to_track.local.aws import REGION
    from webhook_to_track.local.pump import ACCOUNT, to_lambda_record

    moment_ms = str(int((time.time() if sent_at is None else sent_at) * 1000))
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"
    records = []
    for position, body in enumerate(bodies):
        message_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}/{position}/{body}"))
        message = {
            "MessageId": message_id,
            "ReceiptHandle": base64.b64encode(f"{message_id}#{moment_ms}".encode()).decode(),
            "Body": body,
            "MD5OfBody": hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest(),
            "Attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": moment_ms,
                "SenderId": "AROAEXAMPLEINGEST:webhook-to-track-IngestFunction",
                "ApproximateFirstReceiveTimestamp": moment_ms,
            },
        }
        records.append(to_lambda_record(message, arn))
    return {"Records": records}


class _Collected:
    """A CallQueue that keeps the calls ingest would send to SQS."""

    def __init__(self) -> None:
        self.calls: list[QueuedCall] = []

    def put(self, calls: Sequence[QueuedCall]) -> None:
        self.calls.extend(calls)


def queued_messages(
    source: Source,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    received_at: str = SAMPLE_RECEIVED_AT,
) -> list[str]:
    """The forward-queue message bodies ingest produces for one delivery of ``source`` (a
    registry Source): its real parsing, delivery id, rules, validation and QueuedCall, without
    the signature check (it is not signed here) or any AWS; ``received_at`` fixed."""
    from dataclasses import replace

    from webhook_to_track.ingest.delivery import open_delivery
    from webhook_to_track.ingest.process import process_delivery
    from webhook_to_track.local.runtime import QUIET_LEVEL, local_logs
    from webhook_to_track.request import parse_request

    event = make_apigw_event(
        source.name,
        body,
        {"content-type": source.preset.content_type, **(headers or {})},
        now=0,
        request_id="sample",
    )
    delivery = open_delivery(parse_request(event, max_body_bytes=len(body) + 1), source)
    queue = _Collected()
    with local_logs(QUIET_LEVEL, sys.stderr):  # a command's stdout carries only what it prints
        process_delivery(
            delivery=delivery.key,
            payload=delivery.payload,
            rules=source.rules,
            queue=queue,
            headers=delivery.headers,
        )
    return [replace(call, received_at=received_at).to_json() for call in queue.calls]


def forwarder_event(
    registry: Registry, source_name: str, payload: Path, *, received_at: str = SAMPLE_RECEIVED_AT
) -> dict[str, Any]:
    """The SQS event the forwarder receives for what ingest queues for one sample payload."""
    from webhook_to_track.queue.replay import parse_timestamp

    source = registry.get(source_name)
    bodies = queued_messages(
        source, payload.read_bytes(), sample_headers(payload), received_at=received_at
    )
    moment = parse_timestamp(received_at)
    return make_sqs_event(bodies, sent_at=None if moment is None else moment.timestamp())


def forwarder_samples(events_dir: Path, registry: Registry) -> dict[str, tuple[str, Path]]:
    """The FORWARDER_SAMPLES whose source and payload are present: file -> (source, payload)."""
    present = {}
    for name, (source_name, payload_name) in sorted(FORWARDER_SAMPLES.items()):
        payload = events_dir / "payloads" / source_name / payload_name
        if source_name in registry.sources and payload.exists():  # else that source was removed
            present[name] = (source_name, payload)
    return present


def write_forwarder_samples(
    events_dir: Path, registry: Registry, changes: SampleChanges | None = None
) -> SampleChanges:
    """Write each FORWARDER_SAMPLES file (of the sources present) under
    ``<events_dir>/forwarder/`` whose content changed; remove one whose source or payload
    is gone."""
    changes = SampleChanges() if changes is None else changes
    present = forwarder_samples(events_dir, registry)
    for name in sorted(FORWARDER_SAMPLES):
        path = events_dir / "forwarder" / name
        if name in present:
            source_name, payload = present[name]
            write_json_if_changed(path, forwarder_event(registry, source_name, payload), changes)
        elif path.exists():
            path.unlink()
            changes.removed.append(path)
    return changes
