"""Idempotency on DynamoDB through Powertools: one record per delivery, one per Userpilot call.

Both live in the one table, under different stable key prefixes. Each persistence layer is
built lazily (its boto3 client must not exist before tests start moto) and once per container,
one per config (Powertools' ``configure()`` applies the first config it sees only). Failures
inside a wrapped function are raised, so Powertools deletes the record and a retry runs again;
only successful results are stored and replayed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Final

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    BaseError,
    IdempotencyAlreadyInProgressError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from webhook_to_track import aws
from webhook_to_track.errors import DeliveryInProgressError, IdempotencyStoreError

# Stable on purpose: the default prefix contains the function name and module path, so a rename
# would orphan every record and let old deliveries (or calls) through again.
DELIVERY_PREFIX: Final = "webhook-to-track.delivery"
DELIVERY_KEY: Final = "[source, delivery_id]"
CALL_PREFIX: Final = "webhook-to-track.call"
DRY_RUN_CALL_PREFIX: Final = "webhook-to-track.call.dry-run"
"""Dry runs keep their own records, so switching to ``send`` later sends those calls for real."""
CALL_KEY: Final = "key"
CALL_CHECK: Final = "body_sha256"
# DynamoDB calls must fail fast inside a webhook's few seconds, not after boto3's 60 s default.
BOTO_CONFIG: Final = Config(
    connect_timeout=1, read_timeout=2, retries={"max_attempts": 3, "mode": "standard"}
)

Processor = Callable[..., dict[str, Any]]


def _mark_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    """Replayed results say so, for the sender's logs and our metrics."""
    if isinstance(response, dict):
        return {**response, "duplicate": True}
    return response


@lru_cache(maxsize=2)
def delivery_config(window_s: int) -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath=DELIVERY_KEY,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=window_s,
        response_hook=_mark_duplicate,
    )


@lru_cache(maxsize=2)
def call_config(window_s: int) -> IdempotencyConfig:
    """Keyed on the call key, never on the SQS messageId (a sender retry or a redrive makes new
    messageIds for the same call); the body hash is checked so a changed call is noticed."""
    return IdempotencyConfig(
        event_key_jmespath=CALL_KEY,
        payload_validation_jmespath=CALL_CHECK,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=window_s,
        response_hook=_mark_duplicate,
    )


@lru_cache(maxsize=4)
def persistence_layer(table_name: str, purpose: str) -> DynamoDBPersistenceLayer:
    """One layer per (table, purpose): a layer keeps the first config it is configured with."""
    return DynamoDBPersistenceLayer(
        table_name=table_name, boto_config=BOTO_CONFIG, boto3_session=aws.session()
    )


def make_idempotent(
    function: Processor,
    *,
    table_name: str,
    config: IdempotencyConfig,
    data_keyword: str,
    key_prefix: str,
) -> Processor:
    """``function`` guarded by a DynamoDB record keyed on its ``data_keyword`` argument."""
    wrapped: Processor = idempotent_function(
        function,
        data_keyword_argument=data_keyword,
        persistence_store=persistence_layer(table_name, key_prefix),
        config=config,
        key_prefix=key_prefix,
    )
    return wrapped


def run_once(
    processor: Processor, config: IdempotencyConfig, context: LambdaContext | None, **kwargs: Any
) -> dict[str, Any]:
    """Call an idempotent delivery processor, mapping Powertools' errors to ours.

    Raises:
        DeliveryInProgressError: the same delivery is being processed right now (409).
        IdempotencyStoreError: DynamoDB could not be used (503; the sender retries).
    """
    if context is not None:
        # Without this, a timed-out invocation would block retries for the whole window.
        config.register_lambda_context(context)
    try:
        return processor(**kwargs)
    except IdempotencyAlreadyInProgressError as exc:
        raise DeliveryInProgressError(
            "this delivery is being processed right now; retry later"
        ) from exc
    except BaseError as exc:
        raise IdempotencyStoreError(
            f"the idempotency store failed ({type(exc).__name__}); retry later"
        ) from exc
