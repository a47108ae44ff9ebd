"""Process one verified delivery: map -> validate -> forward, behind the idempotency boundary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from webhook_to_track.delivery import parse_body
from webhook_to_track.errors import InvalidTrackEventError, SignatureError
from webhook_to_track.forwarder import DryRunSink, EventSink, UserpilotForwarder, get_pool
from webhook_to_track.idempotency import Processor, make_idempotent, run_once
from webhook_to_track.models import DeliveryKey, Rejection
from webhook_to_track.observability import logger
from webhook_to_track.policy import Deadline
from webhook_to_track.registry import Source
from webhook_to_track.request import WebhookRequest
from webhook_to_track.rules import RuleSet
from webhook_to_track.settings import Settings
from webhook_to_track.signing_keys import SecretsDocument
from webhook_to_track.validation import validate_track

IGNORED = 200


@dataclass(frozen=True, slots=True)
class Delivery:
    key: DeliveryKey
    payload: Any
    headers: Mapping[str, str]


def verify(
    request: WebhookRequest, source: Source, secrets: SecretsDocument
) -> SignatureError | None:
    """Check the delivery's signature with the source's current secrets.

    Returns:
        None when authentic; in shadow mode, the failure, which the caller logs and counts
        before letting the delivery through.

    Raises:
        SignatureError: the delivery is not authentic (or no secret is configured).
    """
    try:
        source.verifier(secrets.for_source(source.name)).verify(request.body, request.headers)
    except SignatureError as error:
        if not source.shadow:
            raise
        return error
    return None


def open_delivery(request: WebhookRequest, source: Source) -> Delivery:
    """Parse a verified request's body (JSON or the sender's form encoding) and find its
    delivery id (raises MalformedBodyError)."""
    payload = parse_body(request.body, source.preset.body_format)
    key = DeliveryKey(source.name, source.delivery_id.find(payload, request))
    return Delivery(key, payload, request.headers)


def handshake_reply(
    request: WebhookRequest, source: Source, delivery: Delivery
) -> dict[str, str] | None:
    """The answer to a sender's setup handshake (Slack, Front), or None for a delivery."""
    if source.preset.handshake is None:
        return None
    return source.preset.handshake(delivery.payload, request.headers)


def process_delivery(
    *,
    delivery: DeliveryKey,
    payload: Any,
    rules: RuleSet,
    sink: EventSink,
    deadline: Deadline,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Map, validate and forward every event of one delivery; return the summary to store.

    Raises:
        UpstreamUnavailableError: an event could not be forwarded in time (nothing is stored,
            so the sender's retry runs the whole delivery again).
        UpstreamAuthError: Userpilot refused the API key.
    """
    mapped = rules.map(payload, delivery_id=delivery.delivery_id, headers=headers)
    summary: dict[str, Any] = {"source": delivery.source, "delivery_id": delivery.delivery_id}
    if not mapped.events and not mapped.rejected:
        reason = "rules matched but no event applied" if mapped.matched else "no rule matched"
        logger.info("ignored", extra={"matched_rules": list(mapped.matched)})
        return {"status": "ignored", **summary, "reason": reason}
    rejected: list[Rejection] = list(mapped.rejected)
    sent: list[dict[str, Any]] = []
    would_send: list[dict[str, Any]] = []
    for item in mapped.events:
        name = item.event["event_name"]
        try:
            validate_track(item.event)
        except InvalidTrackEventError as exc:
            rejected.append(Rejection(item.rule, item.index, f"invalid track event: {exc}", name))
            continue
        result = sink.send(item.event, deadline)
        logger.info(
            "event forwarded" if result.outcome != "rejected" else "event refused by Userpilot",
            extra={
                "event_name": name,
                "outcome": result.outcome,
                "status": result.status,
                "attempts": result.attempts,
            },
        )
        if result.outcome == "rejected":
            rejected.append(
                Rejection(
                    item.rule,
                    item.index,
                    f"Userpilot answered {result.status}: {result.reason}",
                    name,
                )
            )
            continue
        sent.append({"rule": item.rule, "event_name": name, "outcome": result.outcome})
        if result.request is not None:
            would_send.append(result.request.redacted())
    for rejection in rejected:
        logger.warning("event rejected", extra=rejection.to_dict())
    for dropped in mapped.dropped:
        logger.info("metadata key dropped", extra=dropped.to_dict())
    summary.update(
        status="accepted",
        matched=list(mapped.matched),
        events=sent,
        rejected=[r.to_dict() for r in rejected],
    )
    if mapped.dropped:
        summary["dropped"] = [d.to_dict() for d in mapped.dropped]
    if would_send:
        summary["would_send"] = would_send
    return summary


@lru_cache(maxsize=2)
def get_idempotent_processor(table_name: str, window_s: int) -> Processor:
    return make_idempotent(process_delivery, table_name, window_s)


def make_sink(settings: Settings, secrets: SecretsDocument) -> EventSink:
    if settings.forward_mode == "dry-run":
        return DryRunSink(settings.userpilot_url, secrets.userpilot_api_key)
    return UserpilotForwarder(
        get_pool(), settings.userpilot_url, secrets.userpilot_api_key, settings.forward_policy
    )


def process(
    delivery: Delivery,
    source: Source,
    settings: Settings,
    secrets: SecretsDocument,
    context: LambdaContext | None,
) -> tuple[int, dict[str, Any]]:
    """Run a delivery once (idempotently) and choose the status: 202 accepted, 200 ignored."""
    remaining_ms = context.get_remaining_time_in_millis() if context is not None else None
    kwargs: dict[str, Any] = {
        "delivery": delivery.key,
        "payload": delivery.payload,
        "headers": delivery.headers,
        "rules": source.rules,
        "sink": make_sink(settings, secrets),
        "deadline": Deadline.after(settings.forward_policy.budget(remaining_ms)),
    }
    if settings.idempotency_disabled or settings.idempotency_table is None:
        summary = process_delivery(**kwargs)
    else:
        processor = get_idempotent_processor(
            settings.idempotency_table, settings.idempotency_window_s
        )
        summary = run_once(processor, settings.idempotency_window_s, context, **kwargs)
    accepted = source.preset.accepted_status
    return (IGNORED if summary.get("status") == "ignored" else accepted), summary
