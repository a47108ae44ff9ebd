"""The exception hierarchy: each class carries the status of the spec's table and a code."""

from __future__ import annotations

import pytest

from webhook_to_track import errors
from webhook_to_track.errors import ConfigurationError, WebhookError
from webhook_to_track.responses import error_response, json_response

EXPECTED = {
    errors.MalformedBodyError: (400, "malformed_body"),
    errors.InvalidCallError: (422, "invalid_call"),
    errors.MissingSignatureError: (401, "signature_missing"),
    errors.MalformedSignatureError: (401, "signature_malformed"),
    errors.SignatureMismatchError: (401, "signature_mismatch"),
    errors.TimestampOutOfToleranceError: (401, "timestamp_out_of_tolerance"),
    errors.NoSecretError: (401, "no_secret"),
    errors.UnknownSourceError: (404, "unknown_source"),
    errors.MethodNotAllowedError: (405, "method_not_allowed"),
    errors.DeliveryInProgressError: (409, "delivery_in_progress"),
    errors.PayloadTooLargeError: (413, "payload_too_large"),
    errors.ConfigurationError: (500, "configuration_error"),
    errors.SecretsUnavailableError: (500, "secrets_unavailable"),
    errors.InternalError: (500, "internal_error"),
    errors.ServiceUnavailableError: (503, "service_unavailable"),
    errors.IdempotencyStoreError: (503, "idempotency_store_unavailable"),
    errors.QueueUnavailableError: (503, "queue_unavailable"),
    errors.ForwardError: (502, "forward_failed"),
    errors.UpstreamUnavailableError: (502, "upstream_unavailable"),
    errors.RateLimitedError: (502, "rate_limited"),
    errors.UpstreamAuthError: (502, "userpilot_unauthorized"),
    errors.CallRejectedError: (502, "call_rejected"),
    errors.ForwardAmbiguousError: (502, "forward_ambiguous"),
}
# Whether trying again can help: the sender's retry at ingest, the queue's in the forwarder.
RETRYABLE = {
    errors.InternalError,
    errors.ConfigurationError,
    errors.SecretsUnavailableError,
    errors.DeliveryInProgressError,
    errors.ServiceUnavailableError,
    errors.IdempotencyStoreError,
    errors.QueueUnavailableError,
    errors.UpstreamUnavailableError,
    errors.RateLimitedError,
    errors.UpstreamAuthError,
    errors.ForwardAmbiguousError,
}


@pytest.mark.parametrize(
    ("cls", "expected"), EXPECTED.items(), ids=lambda v: getattr(v, "__name__", "")
)
def test_each_error_carries_its_status_and_code(cls, expected):
    assert issubclass(cls, WebhookError)
    assert cls.__name__.endswith("Error")
    assert (cls.status_code, cls.code) == expected


@pytest.mark.parametrize("cls", EXPECTED, ids=lambda v: v.__name__)
def test_each_error_says_whether_a_retry_can_help(cls):
    assert cls.retryable is (cls in RETRYABLE)


def test_an_idempotency_store_failure_is_not_a_userpilot_failure():
    assert not issubclass(errors.IdempotencyStoreError, errors.ForwardError)
    assert not issubclass(errors.QueueUnavailableError, errors.ForwardError)


def test_forward_errors_keep_userpilots_answer():
    error = errors.CallRejectedError("refused", status=400, error="user not found")

    assert (error.status, error.error, error.retry_after_s) == (400, "user not found", None)


def test_codes_are_unique():
    codes = [cls.code for cls in EXPECTED]
    assert len(codes) == len(set(codes))


def test_error_body_names_the_problem():
    body = errors.SignatureMismatchError("no v1 signature matches").to_body("req-1")

    assert body == {
        "error": {
            "code": "signature_mismatch",
            "message": "no v1 signature matches",
            "request_id": "req-1",
        }
    }


def test_configuration_details_stay_in_the_log():
    error = ConfigurationError("invalid settings", problems=["SECRETS_NAME is required"])

    assert "SECRETS_NAME" in str(error)
    assert "SECRETS_NAME" not in str(error.to_body())


def test_error_response_is_json_with_retry_hints():
    response = error_response(errors.QueueUnavailableError("down"), "r")

    assert response["statusCode"] == 503
    assert response["headers"] == {"content-type": "application/json", "retry-after": "30"}
    assert response["isBase64Encoded"] is False


def test_json_response_keeps_unicode():
    assert json_response(200, {"name": "caf\u00e9"})["body"] == '{"name":"caf\u00e9"}'
