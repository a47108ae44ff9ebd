"""The one exception hierarchy: every class carries the HTTP status and error code it answers with,
and whether trying again can help.

At ingest the status encodes one decision for the sender: should it retry? 4xx means "no, this
delivery will never succeed as sent"; 5xx means "yes, try again later". In the forwarder the
``retryable`` flag decides between "back to the queue" and "park in the dead-letter queue".
"""

from __future__ import annotations

from typing import Any, ClassVar


class WebhookError(Exception):
    """Root of every error the function answers with a JSON body."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def public_message(self) -> str:
        """The message the caller sees; never contains secrets or expected signatures."""
        return self.message

    def to_body(self, request_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.public_message()}
        if request_id:
            error["request_id"] = request_id
        return {"error": error}


class InternalError(WebhookError):
    """An unexpected failure; the log has the traceback, the caller never does."""

    status_code = 500
    code = "internal_error"
    retryable = True

    def public_message(self) -> str:
        return "internal error; the function log has the details"


# --- 400 ----------------------------------------------------------------------------------------


class BadRequestError(WebhookError):
    status_code = 400
    code = "bad_request"


class MalformedBodyError(BadRequestError):
    """The body is not what this source sends (bad base64, bad JSON, wrong shape)."""

    code = "malformed_body"


class InvalidCallError(WebhookError):
    """A mapped call breaks its kind's JSON Schema. It is recorded as rejected, never queued;
    it does not fail the delivery, so its status is never the response's."""

    status_code = 422
    code = "invalid_call"

    def __init__(self, message: str, *, path: str, validator: str) -> None:
        super().__init__(message, path=path, validator=validator)
        self.path = path
        self.validator = validator


# --- 401 ----------------------------------------------------------------------------------------


class SignatureError(WebhookError):
    """The delivery could not be authenticated. The code names the reason."""

    status_code = 401
    code = "invalid_signature"


class MissingSignatureError(SignatureError):
    code = "signature_missing"


class MalformedSignatureError(SignatureError):
    code = "signature_malformed"


class TimestampOutOfToleranceError(SignatureError):
    code = "timestamp_out_of_tolerance"


class SignatureMismatchError(SignatureError):
    code = "signature_mismatch"


class NoSecretError(SignatureError):
    """The source has no usable secret configured: fail closed."""

    code = "no_secret"


# --- 404 / 405 / 409 / 413 ----------------------------------------------------------------------


class UnknownSourceError(WebhookError):
    status_code = 404
    code = "unknown_source"


class MethodNotAllowedError(WebhookError):
    status_code = 405
    code = "method_not_allowed"


class DeliveryInProgressError(WebhookError):
    """The same delivery is being processed right now; the sender should retry later."""

    status_code = 409
    code = "delivery_in_progress"
    retryable = True


class PayloadTooLargeError(WebhookError):
    status_code = 413
    code = "payload_too_large"


# --- 500 ----------------------------------------------------------------------------------------


class ConfigurationError(WebhookError):
    """The function is misconfigured. Details go to the log, not to the caller."""

    status_code = 500
    code = "configuration_error"
    retryable = True  # once the configuration is fixed

    def __init__(self, message: str, problems: list[str] | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)

    def public_message(self) -> str:
        return "the function is misconfigured; its log names the problem"


class SecretsUnavailableError(ConfigurationError):
    code = "secrets_unavailable"


# --- 503 ----------------------------------------------------------------------------------------


class ServiceUnavailableError(WebhookError):
    """An AWS service the function depends on failed; the sender should retry."""

    status_code = 503
    code = "service_unavailable"
    retryable = True


class IdempotencyStoreError(ServiceUnavailableError):
    """DynamoDB could not hold or release an idempotency record."""

    code = "idempotency_store_unavailable"


class QueueUnavailableError(ServiceUnavailableError):
    """SQS did not accept every call of the delivery; nothing is promised to the sender."""

    code = "queue_unavailable"


# --- the forwarder: what Userpilot (or the way to it) did with one call ------------------------


class ForwardError(WebhookError):
    """One call was not delivered. ``status`` and ``error`` are Userpilot's answer, when there
    was one; the status code here is never sent to anyone (the forwarder answers SQS)."""

    status_code = 502
    code = "forward_failed"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.status = status
        self.error = error
        self.retry_after_s = retry_after_s


class UpstreamUnavailableError(ForwardError):
    """Userpilot answered 5xx, 404 or 408, or could not be connected to: try again later."""

    code = "upstream_unavailable"
    retryable = True


class RateLimitedError(UpstreamUnavailableError):
    """Userpilot answered 429: wait (its Retry-After, else the backoff) before any next call."""

    code = "rate_limited"


class UpstreamAuthError(ForwardError):
    """Userpilot refused the API key (401/403): a configuration problem, not the call's; calls
    are kept and retried until the key is fixed, and an alarm fires."""

    code = "userpilot_unauthorized"
    retryable = True


class CallRejectedError(ForwardError):
    """Userpilot refused the call itself (another 4xx): resending it unchanged cannot help."""

    code = "call_rejected"


class ForwardAmbiguousError(ForwardError):
    """The request was sent but no answer came back (read timeout, connection dropped):
    Userpilot may or may not have recorded it. The forwarder's policy decides."""

    code = "forward_ambiguous"
    retryable = True
