"""An embedded AWS (moto, in-process): the template's own idempotency table and forward queues."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.local.template import (
    DLQ_ID,
    QUEUE_ID,
    queue_attributes,
    table_definition,
    ttl_attribute,
)

FAKE_CREDENTIALS: Final = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
REGION: Final = FAKE_CREDENTIALS["AWS_DEFAULT_REGION"]


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the duration of the block, then restore the previous environment."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def create_idempotency_table(client: Any, template: Mapping[str, Any], table_name: str) -> None:
    client.create_table(TableName=table_name, **table_definition(template))
    attribute = ttl_attribute(template)
    if attribute:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
        )


@dataclass(frozen=True, slots=True)
class Queues:
    queue_url: str
    dlq_url: str


def create_forward_queues(client: Any, template: Mapping[str, Any], prefix: str) -> Queues:
    """The dead-letter queue, then the forward queue redriving to it, as the template has them."""
    dlq_url = client.create_queue(
        QueueName=f"{prefix}-forward-dlq", Attributes=queue_attributes(template, DLQ_ID)
    )["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    attributes = queue_attributes(template, QUEUE_ID, {DLQ_ID: dlq_arn})
    queue_url = client.create_queue(QueueName=f"{prefix}-forward", Attributes=attributes)[
        "QueueUrl"
    ]
    return Queues(queue_url, dlq_url)


@contextmanager
def embedded_aws(template: Mapping[str, Any], table_name: str, prefix: str) -> Iterator[Queues]:
    """Fake credentials, moto's in-process AWS, the idempotency table and the forward queues
    created from the template; nothing leaves the process."""
    import boto3
    from moto import mock_aws

    with patched_environ(FAKE_CREDENTIALS), mock_aws():
        create_idempotency_table(boto3.client("dynamodb", region_name=REGION), template, table_name)
        yield create_forward_queues(boto3.client("sqs", region_name=REGION), template, prefix)
