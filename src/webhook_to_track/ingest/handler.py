"""Ingest entry point: parse -> verify -> open -> queue the calls; every error -> JSON."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from webhook_to_track.errors import ConfigurationError, InternalError, WebhookError
from webhook_to_track.ingest.delivery import handshake_reply, open_delivery
from webhook_to_track.ingest.process import process
from webhook_to_track.ingest.verify import verify
from webhook_to_track.observability import Observation, logger, metrics
from webhook_to_track.registry import get_registry
from webhook_to_track.request import parse_request
from webhook_to_track.responses import error_response, json_response
from webhook_to_track.settings import get_settings
from webhook_to_track.signing_keys import load_secrets


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False, clear_state=True
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    observation = Observation(str((event.get("requestContext") or {}).get("requestId") or ""))
    try:
        settings = get_settings()
        request = parse_request(event, max_body_bytes=settings.max_body_bytes)
        source = get_registry(settings.sources_dir).get(request.source)
        observation.identify(source.name)
        secrets = load_secrets(settings)
        observation.shadowed(verify(request, source, secrets, settings.signature_tolerance_s))
        delivery = open_delivery(request, source)
        observation.delivery(delivery.key.delivery_id)
        reply = handshake_reply(request, source, delivery)
        if reply is not None:
            observation.handshake()
            return json_response(200, reply)
        status, summary = process(delivery, source, settings, context)
    except WebhookError as error:
        observation.rejected(error)
        return error_response(error, observation.request_id)
    except Exception:
        # The traceback goes to the log; the caller gets a JSON 500 and the sender retries.
        logger.exception("unexpected failure")
        internal = InternalError("unexpected failure")
        observation.rejected(internal)
        return error_response(internal, observation.request_id)
    observation.finished(status, summary)
    return json_response(status, summary)


def _init() -> None:
    """Compile the source files during init (Lambda gives init a full CPU burst).

    Broken source files stop the function here, with every problem in the log: it never runs
    half-configured. Invalid settings are only logged; each request then answers a JSON 500
    naming the problem in the log, until the settings are fixed.
    """
    try:
        settings = get_settings()
    except ConfigurationError as error:
        logger.error("invalid settings at init", extra={"detail": str(error)})
        return
    try:
        get_registry(settings.sources_dir)
    except ConfigurationError as error:
        logger.error(
            "invalid source files: the function will not start", extra={"problems": error.problems}
        )
        raise


_init()
