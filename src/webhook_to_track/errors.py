"""The one exception hierarchy: every class carries the HTTP status and error code it answers with.

The status encodes one decision for the sender: should it retry? 4xx means "no, this delivery
will never succeed as sent"; 5xx means "yes, try again later".
"""

from __future__ import annotations

from typing import Any, ClassVar


class WebhookError(Exception):
    """Root of every error the function answers with a JSON body."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

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

    def public_message(self) -> str:
        return "internal error; the function log has the details"


# --- 400 ----------------------------------------------------------------------------------------


class BadRequestError(WebhookError):
    status_code = 400
    code = "bad_request"


class MalformedBodyError(BadRequestError):
    """The body is not what this source sends (bad base64, bad JSON, wrong shape)."""

    code = "malformed_body"


class InvalidTrackEventError(WebhookError):
    """A mapped event breaks the Track JSON Schema. It is recorded as rejected, never sent;
    it does not fail the delivery, so its status is never the response's."""

    status_code = 422
    code = "invalid_track_event"

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


class PayloadTooLargeError(WebhookError):
    status_code = 413
    code = "payload_too_large"


# --- 500 ----------------------------------------------------------------------------------------


class ConfigurationError(WebhookError):
    """The function is misconfigured. Details go to the log, not to the caller."""

    status_code = 500
    code = "configuration_error"

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


class UpstreamAuthError(ConfigurationError):
    """Userpilot refused the API key: events are kept (sender retries) until the key is fixed."""

    code = "userpilot_unauthorized"


# --- 503 ----------------------------------------------------------------------------------------


class UpstreamUnavailableError(WebhookError):
    """Userpilot could not be reached in time; the sender should retry."""

    status_code = 503
    code = "upstream_unavailable"


class IdempotencyStoreError(UpstreamUnavailableError):
    code = "idempotency_store_unavailable"
