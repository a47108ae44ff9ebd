"""Process one opened delivery behind its idempotency record: map -> validate -> queue.

The webhook answer never waits on Userpilot: 202 means every valid call is in SQS. If SQS does
not take them all, the error is raised, Powertools releases the delivery record, and the
sender's retry runs the delivery again (calls already queued collapse on their keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

from aws_lambda_powertools.utilities.typing import LambdaContext

from webhook_to_track.errors import InvalidCallError
from webhook_to_track.idempotency import (
    DELIVERY_PREFIX,
    Processor,
    delivery_config,
    make_idempotent,
    run_once,
)
from webhook_to_track.ingest.delivery import Delivery
from webhook_to_track.models import DeliveryKey, Rejection
from webhook_to_track.observability import logger
from webhook_to_track.queue.message import QueuedCall, utc_now
from webhook_to_track.queue.sink import CallQueue, PreviewQueue, SqsCallQueue, sqs_client
from webhook_to_track.registry import Source
from webhook_to_track.rules import RuleSet
from webhook_to_track.settings import Settings
from webhook_to_track.userpilot.validation import validate_call

IGNORED: Final = 200
MAX_MESSAGE_BYTES: Final = 256 * 1024
"""SQS's default message size limit: a larger call is refused here, never queued half-way."""


def process_delivery(
    *,
    delivery: DeliveryKey,
    payload: Any,
    rules: RuleSet,
    queue: CallQueue,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Map and validate every call of one delivery, queue the valid ones, return the summary.

    Raises:
        QueueUnavailableError: SQS did not take every call (nothing is stored, so the sender's
            retry runs the whole delivery again).
    """
    mapped = rules.map(payload, delivery_id=delivery.delivery_id, headers=headers)
    summary: dict[str, Any] = {"source": delivery.source, "delivery_id": delivery.delivery_id}
    if not mapped.calls and not mapped.rejected:
        reason = "rules matched but no call applied" if mapped.matched else "no rule matched"
        logger.info("ignored", extra={"matched_rules": list(mapped.matched)})
        return {"status": "ignored", **summary, "reason": reason}
    rejected: list[Rejection] = list(mapped.rejected)
    queued: list[QueuedCall] = []
    received_at = utc_now()
    for item in mapped.calls:
        name = item.call.name
        try:
            validate_call(item.call)
        except InvalidCallError as exc:
            rejected.append(
                Rejection(item.rule, item.index, f"invalid {item.call.kind}: {exc}", name)
            )
            continue
        message = QueuedCall.of(
            item.call,
            source=delivery.source,
            delivery_id=delivery.delivery_id,
            rule=item.rule,
            position=item.position,
            received_at=received_at,
        )
        if len(message.to_json().encode("utf-8")) > MAX_MESSAGE_BYTES:
            reason = f"the call is over the queue's {MAX_MESSAGE_BYTES // 1024} KiB message limit"
            rejected.append(Rejection(item.rule, item.index, reason, name))
            continue
        queued.append(message)
    if queued:
        queue.put(queued)
    logger.info("calls queued", extra={"calls": [q.key for q in queued]})
    for rejection in rejected:
        logger.warning("call rejected", extra=rejection.to_dict())
    for dropped in mapped.dropped:
        logger.info("metadata key dropped", extra=dropped.to_dict())
    summary.update(
        status="accepted",
        matched=list(mapped.matched),
        queued=[q.summary() for q in queued],
        rejected=[r.to_dict() for r in rejected],
    )
    if mapped.dropped:
        summary["dropped"] = [d.to_dict() for d in mapped.dropped]
    return summary


@lru_cache(maxsize=2)
def get_idempotent_processor(table_name: str, window_s: int) -> Processor:
    return make_idempotent(
        process_delivery,
        table_name=table_name,
        config=delivery_config(window_s),
        data_keyword="delivery",
        key_prefix=DELIVERY_PREFIX,
    )


def make_queue(settings: Settings) -> CallQueue:
    if settings.queue_url is None:  # local only (settings refuse it in AWS)
        return PreviewQueue()
    return SqsCallQueue(sqs_client(), settings.queue_url)


def process(
    delivery: Delivery, source: Source, settings: Settings, context: LambdaContext | None
) -> tuple[int, dict[str, Any]]:
    """Run a delivery once (idempotently) and choose the status: 202 accepted, 200 ignored."""
    queue = make_queue(settings)
    kwargs: dict[str, Any] = {
        "delivery": delivery.key,
        "payload": delivery.payload,
        "headers": delivery.headers,
        "rules": source.rules,
        "queue": queue,
    }
    if settings.idempotency_disabled or settings.idempotency_table is None:
        summary = process_delivery(**kwargs)
    else:
        processor = get_idempotent_processor(
            settings.idempotency_table, settings.idempotency_window_s
        )
        config = delivery_config(settings.idempotency_window_s)
        summary = run_once(processor, config, context, **kwargs)
    if isinstance(queue, PreviewQueue) and queue.messages:
        summary = {**summary, "would_queue": queue.messages}
    accepted = source.preset.accepted_status
    return (IGNORED if summary.get("status") == "ignored" else accepted), summary
