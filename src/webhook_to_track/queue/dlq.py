"""Park a call in the dead-letter queue with the reason it was set aside.

The parked message keeps the original body (so ``replay`` can send it back unchanged and the
forwarder's key still recognises it) and carries the reason, Userpilot's status and message
and the time as message attributes, which ``dlq list`` shows.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from webhook_to_track.errors import ConfigurationError
from webhook_to_track.queue.message import utc_now

Reason = Literal["rejected", "ambiguous", "malformed", "content_changed"]
EXHAUSTED: Final = "exhausted"
"""What ``dlq list`` shows for messages SQS moved itself after too many receives."""
MAX_ATTRIBUTE_CHARS: Final = 256


def _text(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value[:MAX_ATTRIBUTE_CHARS] or "-"}


class DeadLetters:
    def __init__(self, client: Any, dlq_url: str | None) -> None:
        self._client = client
        self._url = dlq_url

    def park(
        self,
        body: str,
        reason: Reason,
        *,
        status: int | None = None,
        error: str | None = None,
    ) -> None:
        """Send ``body`` to the dead-letter queue; raises if it is not there (the caller then
        leaves the message in the forward queue: nothing is dropped).

        Raises:
            ConfigurationError: no dead-letter queue is configured.
        """
        if self._url is None:
            raise ConfigurationError("FORWARD_DLQ_URL is not set: cannot park the call")
        attributes = {"reason": _text(reason), "parked_at": _text(utc_now())}
        if status is not None:
            attributes["status"] = _text(str(status))
        if error:
            attributes["error"] = _text(error)
        self._client.send_message(
            QueueUrl=self._url, MessageBody=body, MessageAttributes=attributes
        )
