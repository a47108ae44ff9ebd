"""Forget everything cached per container, as a new cold start would (tests and local runs)."""

from __future__ import annotations

from webhook_to_track import idempotency, registry, settings, signing_keys
from webhook_to_track.ingest import process
from webhook_to_track.queue import consumer, pacer, sink
from webhook_to_track.userpilot import client


def reset_caches() -> None:
    settings.get_settings.cache_clear()
    registry.get_registry.cache_clear()
    signing_keys.parse_local_secrets.cache_clear()
    idempotency.delivery_config.cache_clear()
    idempotency.call_config.cache_clear()
    idempotency.persistence_layer.cache_clear()
    process.get_idempotent_processor.cache_clear()
    consumer._idempotent_send.cache_clear()
    pacer.get_pacer.cache_clear()
    sink.sqs_client.cache_clear()
    client.get_pool.cache_clear()
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
