"""Check a delivery's signature with its source's current secrets (shadow mode included)."""

from __future__ import annotations

from webhook_to_track.errors import SignatureError
from webhook_to_track.registry import Source
from webhook_to_track.request import WebhookRequest
from webhook_to_track.signing_keys import SecretsDocument


def verify(
    request: WebhookRequest,
    source: Source,
    secrets: SecretsDocument,
    tolerance_s: int | None = None,
) -> SignatureError | None:
    """Check the delivery's signature with the source's current secrets (and its timestamp
    against ``tolerance_s`` when given: the local override, else the source's own).

    Returns:
        None when authentic; in shadow mode, the failure, which the caller logs and counts
        before letting the delivery through.

    Raises:
        SignatureError: the delivery is not authentic (or no secret is configured).
    """
    try:
        verifier = source.verifier(secrets.for_source(source.name), tolerance_s)
        verifier.verify(request.body, request.headers)
    except SignatureError as error:
        if not source.shadow:
            raise
        return error
    return None
