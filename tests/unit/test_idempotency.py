"""Idempotency configs and run_once over an in-memory persistence layer (Powertools'
MockPersistenceLayer idea): stable prefixes, the keys each record is made from, what a replay
returns, and how Powertools' errors become ours."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
    IdempotencyKeyError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from webhook_to_track import idempotency
from webhook_to_track.errors import DeliveryInProgressError, IdempotencyStoreError
from webhook_to_track.idempotency import (
    CALL_PREFIX,
    DELIVERY_PREFIX,
    DRY_RUN_CALL_PREFIX,
    call_config,
    delivery_config,
    make_idempotent,
    persistence_layer,
    run_once,
)
from webhook_to_track.local.context import LocalLambdaContext
from webhook_to_track.models import DeliveryKey
from webhook_to_track.queue.message import QueuedCall
from webhook_to_track.userpilot.calls import TrackBody, track

WINDOW_S = 3600


class MemoryLayer(BasePersistenceLayer):
    """Records in a dict, with DynamoDB's conditional-put semantics (validation included)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        try:
            return self.records[idempotency_key]
        except KeyError:
            raise IdempotencyItemNotFoundError from None

    def _put_record(self, data_record: DataRecord) -> None:
        existing = self.records.get(data_record.idempotency_key)
        if existing is not None and not existing.is_expired:
            self._validate_payload(data_payload=data_record, stored_data_record=existing)
            raise IdempotencyItemAlreadyExistsError(old_data_record=existing)
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)


def context() -> LambdaContext:
    return cast(LambdaContext, LocalLambdaContext(timeout_s=10))


def configured(config: Any, prefix: str) -> MemoryLayer:
    layer = MemoryLayer()
    layer.configure(config, key_prefix=prefix)
    return layer


def queued(body: TrackBody | None = None, **overrides: Any) -> QueuedCall:
    kwargs: dict[str, Any] = {
        "source": "stripe",
        "delivery_id": "evt_1",
        "rule": "invoice_paid",
        "position": "0",
        "received_at": "2026-12-02T00:00:00Z",
        **overrides,
    }
    call_body: TrackBody = body or {"user_id": "u", "event_name": "e", "metadata": {"n": 1}}
    return QueuedCall.of(track(call_body), **kwargs)


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> MemoryLayer:
    """One in-memory layer standing in for DynamoDB behind make_idempotent."""
    memory = MemoryLayer()
    monkeypatch.setattr(idempotency, "persistence_layer", lambda table, purpose: memory)
    return memory


class Counting:
    """A processor that counts its runs and can be told to fail."""

    def __init__(self) -> None:
        self.runs = 0
        self.error: Exception | None = None

    def process(self, *, delivery: DeliveryKey, payload: Any = None) -> dict[str, Any]:
        self.runs += 1
        if self.error is not None:
            raise self.error
        return {"status": "accepted", "run": self.runs}


def delivery_processor(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    return make_idempotent(
        function,
        table_name="t",
        config=delivery_config(WINDOW_S),
        data_keyword="delivery",
        key_prefix=DELIVERY_PREFIX,
    )


# --- prefixes and configs -------------------------------------------------------------------------


def test_prefixes_are_stable_literals():
    # A renamed prefix would orphan every record and let old deliveries and calls through again
    assert DELIVERY_PREFIX == "webhook-to-track.delivery"
    assert CALL_PREFIX == "webhook-to-track.call"
    assert DRY_RUN_CALL_PREFIX == "webhook-to-track.call.dry-run"


def test_delivery_config_keys_on_source_and_delivery_id():
    config = delivery_config(604_800)

    assert config.event_key_jmespath == "[source, delivery_id]"
    assert config.payload_validation_jmespath == ""
    assert config.raise_on_no_idempotency_key is True
    assert config.expires_after_seconds == 604_800


def test_call_config_keys_on_the_call_key_and_checks_the_body_hash():
    config = call_config(1_641_600)

    assert config.event_key_jmespath == "key"
    assert config.payload_validation_jmespath == "body_sha256"
    assert config.raise_on_no_idempotency_key is True
    assert config.expires_after_seconds == 1_641_600


def test_configs_are_built_once_per_window():
    assert delivery_config(60) is delivery_config(60)
    assert call_config(60) is call_config(60)
    assert call_config(60) is not call_config(61)


def test_one_persistence_layer_per_table_and_purpose():
    assert persistence_layer("t", DELIVERY_PREFIX) is persistence_layer("t", DELIVERY_PREFIX)
    assert persistence_layer("t", DELIVERY_PREFIX) is not persistence_layer("t", CALL_PREFIX)
    assert persistence_layer("t", CALL_PREFIX) is not persistence_layer("t", DRY_RUN_CALL_PREFIX)


# --- the record keys ------------------------------------------------------------------------------


def test_delivery_record_key_is_prefix_and_source_and_id():
    layer = configured(delivery_config(WINDOW_S), DELIVERY_PREFIX)
    key = layer._get_hashed_idempotency_key(dataclasses.asdict(DeliveryKey("stripe", "evt_1")))

    assert key is not None
    assert key.startswith(f"{DELIVERY_PREFIX}#")
    assert key == layer._get_hashed_idempotency_key({"source": "stripe", "delivery_id": "evt_1"})
    for other in (DeliveryKey("paddle", "evt_1"), DeliveryKey("stripe", "evt_2")):
        assert layer._get_hashed_idempotency_key(dataclasses.asdict(other)) != key


def test_call_record_key_is_the_call_key_alone():
    # Given the same call built twice: a sender retry gives it another receipt time
    layer = configured(call_config(WINDOW_S), CALL_PREFIX)
    first = queued().to_document()
    retry = queued(received_at="2026-12-03T00:00:00Z").to_document()

    # Then both map to one record, and its payload hash is the body hash's
    assert layer._get_hashed_idempotency_key(first) == layer._get_hashed_idempotency_key(retry)
    assert layer._get_hashed_payload(first) == layer._get_hashed_payload(retry)


def test_changed_body_keeps_the_record_key_but_not_the_payload_hash():
    layer = configured(call_config(WINDOW_S), CALL_PREFIX)
    original = queued().to_document()
    changed = queued({"user_id": "u", "event_name": "e", "metadata": {"n": 2}}).to_document()

    assert layer._get_hashed_idempotency_key(original) == layer._get_hashed_idempotency_key(changed)
    assert layer._get_hashed_payload(original) != layer._get_hashed_payload(changed)


def test_dry_run_records_are_kept_apart_from_real_ones():
    document = queued().to_document()
    real = configured(call_config(WINDOW_S), CALL_PREFIX)
    dry = configured(call_config(WINDOW_S), DRY_RUN_CALL_PREFIX)

    assert real._get_hashed_idempotency_key(document) != dry._get_hashed_idempotency_key(document)


@pytest.mark.parametrize(
    ("config", "data"),
    [
        (delivery_config(WINDOW_S), {"source": None, "delivery_id": None}),
        (call_config(WINDOW_S), {"body_sha256": "x"}),
    ],
    ids=["delivery", "call"],
)
def test_missing_key_is_an_error_not_a_silent_pass(config: Any, data: dict[str, Any]):
    layer = configured(config, "p")

    with pytest.raises(IdempotencyKeyError):
        layer._get_hashed_idempotency_key(data)


# --- run_once over the in-memory layer ------------------------------------------------------------


def test_second_run_replays_the_stored_summary_marked_duplicate(layer: MemoryLayer):
    # Given a delivery processed once
    function = Counting()
    processor = delivery_processor(function.process)
    config = delivery_config(WINDOW_S)
    first = run_once(processor, config, context(), delivery=DeliveryKey("s", "d"))

    # When the same delivery comes again
    second = run_once(processor, config, context(), delivery=DeliveryKey("s", "d"))

    # Then it is not processed again: the stored summary comes back, marked duplicate
    assert function.runs == 1
    assert first == {"status": "accepted", "run": 1}
    assert second == {"status": "accepted", "run": 1, "duplicate": True}


def test_other_delivery_is_processed(layer: MemoryLayer):
    function = Counting()
    processor = delivery_processor(function.process)
    config = delivery_config(WINDOW_S)

    run_once(processor, config, context(), delivery=DeliveryKey("s", "d"))
    run_once(processor, config, context(), delivery=DeliveryKey("s", "d2"))

    assert function.runs == 2


def test_failed_run_releases_the_record_so_the_retry_runs_again(layer: MemoryLayer):
    # Given a first run that fails (SQS did not take the calls, say)
    function = Counting()
    function.error = RuntimeError("queue down")
    processor = delivery_processor(function.process)
    config = delivery_config(WINDOW_S)
    with pytest.raises(RuntimeError, match="queue down"):
        run_once(processor, config, context(), delivery=DeliveryKey("s", "d"))
    assert layer.records == {}

    # When the sender retries and it works
    function.error = None
    summary = run_once(processor, config, context(), delivery=DeliveryKey("s", "d"))

    # Then it ran again, for real
    assert (function.runs, summary.get("duplicate")) == (2, None)


def test_run_once_registers_the_lambda_context():
    config = delivery_config(WINDOW_S)
    lambda_context = context()

    run_once(lambda **_: {}, config, lambda_context)

    assert config.lambda_context is lambda_context


def test_call_with_the_same_key_and_another_body_is_noticed(layer: MemoryLayer):
    # Given a call recorded as sent
    def send(*, call: dict[str, Any]) -> dict[str, Any]:
        return {"status": 202}

    processor = make_idempotent(
        send,
        table_name="t",
        config=call_config(WINDOW_S),
        data_keyword="call",
        key_prefix=CALL_PREFIX,
    )
    call_config(WINDOW_S).register_lambda_context(context())
    processor(call=queued().to_document())

    # When a message with its key but another body comes
    changed = queued({"user_id": "u", "event_name": "e", "metadata": {"n": 2}})

    # Then Powertools refuses it (the forwarder parks it as content_changed)
    with pytest.raises(IdempotencyValidationError):
        processor(call=changed.to_document())
    # ...while the very same call is a duplicate
    assert processor(call=queued(received_at="2026-12-09T00:00:00Z").to_document()) == {
        "status": 202,
        "duplicate": True,
    }


# --- Powertools' errors, as ours ------------------------------------------------------------------


def raising(error: Exception) -> Callable[..., dict[str, Any]]:
    def processor(**_: Any) -> dict[str, Any]:
        raise error

    return processor


def test_in_progress_is_a_409_the_sender_retries():
    with pytest.raises(DeliveryInProgressError) as caught:
        run_once(raising(IdempotencyAlreadyInProgressError("busy")), delivery_config(60), None)

    assert (caught.value.status_code, caught.value.retryable) == (409, True)


@pytest.mark.parametrize(
    "error",
    [IdempotencyPersistenceLayerError("dynamodb down"), IdempotencyKeyError("no key")],
    ids=["persistence", "key"],
)
def test_other_idempotency_failures_are_a_503_naming_the_error(error: Exception):
    with pytest.raises(IdempotencyStoreError, match=type(error).__name__) as caught:
        run_once(raising(error), delivery_config(60), None)

    assert caught.value.status_code == 503
    assert caught.value.__cause__ is error


def test_the_processors_own_errors_pass_through():
    error = ValueError("not an idempotency problem")

    with pytest.raises(ValueError, match="not an idempotency problem") as caught:
        run_once(raising(error), delivery_config(60), None)
    assert caught.value is error
