"""Shared fixtures: a clean container per test (caches, metrics), fake AWS credentials."""

from __future__ import annotations

import os

# Before anything imports boto3 or Powertools: no real credentials, a fixed region and names.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "webhook-to-track",
        "POWERTOOLS_METRICS_NAMESPACE": "WebhookToTrack",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
)
for name in ("AWS_PROFILE", "AWS_EXECUTION_ENV", "AWS_SAM_LOCAL", "SECRETS_JSON", "SECRETS_NAME"):
    os.environ.pop(name, None)

import functools
from collections.abc import Iterator

import botocore.session
import pytest
from aws_lambda_powertools.metrics.provider.cold_start import reset_cold_start_flag

from webhook_to_track.local.reset import reset_caches
from webhook_to_track.observability import metrics

# moto gives boto3 a new default session on every mock_aws(), and each new botocore session
# reads and parses botocore's data files again (endpoints, partitions, every service model it
# builds a client for): about 90 ms per test that makes a DynamoDB and an SQS client, most of
# a functional test's setup. The files do not change during a run, so every session shares one
# loader, as the clients of one session already do. What the clients do is unchanged.
botocore.session.create_loader = functools.cache(botocore.session.create_loader)


@pytest.fixture(autouse=True)
def fresh_container() -> Iterator[None]:
    """Each test starts as a cold start: no cached settings, registry, secrets or metrics."""
    reset_caches()
    metrics.clear_metrics()
    reset_cold_start_flag()
    yield
    reset_caches()
    metrics.clear_metrics()
