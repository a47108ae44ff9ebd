"""Idempotency on DynamoDB through Powertools: one record per (source, delivery id).

The persistence layer is built lazily (its boto3 client must not exist before tests start moto)
and once per container. Failures inside the wrapped function are raised, so Powertools deletes
the record and the sender's retry runs again; only successful results are stored and replayed.
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

from webhook_to_track.errors import DeliveryInProgressError, IdempotencyStoreError

# Stable on purpose: the default prefix contains the function name and module path, so a rename
# would orphan every record and let old deliveries through again.
KEY_PREFIX: Final = "webhook-to-track.delivery"
KEY_JMESPATH: Final = "[source, delivery_id]"
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
def get_config(window_s: int) -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath=KEY_JMESPATH,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=window_s,
        response_hook=_mark_duplicate,
    )


@lru_cache(maxsize=2)
def get_persistence_layer(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table_name, boto_config=BOTO_CONFIG)


def make_idempotent(function: Processor, table_name: str, window_s: int) -> Processor:
    """``function`` guarded by a DynamoDB record keyed on its ``delivery`` keyword argument."""
    wrapped: Processor = idempotent_function(
        function,
        data_keyword_argument="delivery",
        persistence_store=get_persistence_layer(table_name),
        config=get_config(window_s),
        key_prefix=KEY_PREFIX,
    )
    return wrapped


def run_once(
    processor: Processor, window_s: int, context: LambdaContext | None, **kwargs: Any
) -> dict[str, Any]:
    """Call an idempotent processor, mapping Powertools' errors to ours.

    Raises:
        DeliveryInProgressError: the same delivery is being processed right now (409).
        IdempotencyStoreError: DynamoDB could not be used (503; the sender retries).
    """
    if context is not None:
        # Without this, a timed-out invocation would block retries for the whole window.
        get_config(window_s).register_lambda_context(context)
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
