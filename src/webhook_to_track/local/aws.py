"""An embedded DynamoDB (moto, in-process) holding the template's own idempotency table."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from webhook_to_track.local.template import table_definition, ttl_attribute

FAKE_CREDENTIALS: Final = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


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


@contextmanager
def embedded_dynamodb(template: Mapping[str, Any], table_name: str) -> Iterator[None]:
    """Fake credentials, moto's in-process AWS, and the idempotency table created from the
    template; nothing leaves the process."""
    import boto3
    from moto import mock_aws

    with patched_environ(FAKE_CREDENTIALS), mock_aws():
        client = boto3.client("dynamodb", region_name=FAKE_CREDENTIALS["AWS_DEFAULT_REGION"])
        create_idempotency_table(client, template, table_name)
        yield
