"""The local stand-in for Lambda's SQS event source mapping: receive, invoke, delete.

It builds the event Lambda would (messageId, receiptHandle, body, attributes,
eventSourceARN), calls the forwarder handler, deletes the records the handler did not report
as failed, and leaves the failed ones to their visibility timeout (the handler set it), so
moto moves a message to the DLQ after maxReceiveCount receives, as SQS does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from webhook_to_track.local.aws import REGION

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
ACCOUNT: Final = "123456789012"


def queue_arn(queue_url: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_url.rstrip('/').rsplit('/', 1)[-1]}"


def to_lambda_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    attributes = dict(message.get("Attributes", {}))
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "dataType": value.get("DataType", "String"),
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": REGION,
    }


def receive_event(client: Any, queue_url: str, wait_s: int = 0) -> dict[str, Any] | None:
    """Up to 10 messages as a Lambda SQS event, or None when none is visible."""
    answer = client.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        WaitTimeSeconds=wait_s,
    )
    messages = answer.get("Messages", [])
    if not messages:
        return None
    arn = queue_arn(queue_url)
    return {"Records": [to_lambda_record(m, arn) for m in messages]}


def settle(client: Any, queue_url: str, event: dict[str, Any], response: dict[str, Any]) -> int:
    """Delete what the handler did not report as failed; the number deleted."""
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    done = [r for r in event["Records"] if r["messageId"] not in failed]
    if done:
        client.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": r["receiptHandle"]} for n, r in enumerate(done)
            ],
        )
    return len(done)


def pump_once(
    client: Any, queue_url: str, handler: Handler, context: Any, wait_s: int = 0
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """One receive -> invoke -> delete round: (event, response), or None if the queue was empty."""
    event = receive_event(client, queue_url, wait_s)
    if event is None:
        return None
    response = handler(event, context)
    settle(client, queue_url, event, response)
    return event, response
