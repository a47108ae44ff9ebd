"""Forget everything cached per container, as a new cold start would (tests and local runs)."""

from __future__ import annotations

from webhook_to_track import forwarder, idempotency, registry, service, settings, signing_keys


def reset_caches() -> None:
    settings.get_settings.cache_clear()
    registry.get_registry.cache_clear()
    signing_keys.parse_local_secrets.cache_clear()
    idempotency.get_config.cache_clear()
    idempotency.get_persistence_layer.cache_clear()
    service.get_idempotent_processor.cache_clear()
    forwarder.get_pool.cache_clear()
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
