"""Fault suite: the real handlers against a scripted Userpilot, moto and vendor-like senders.

Every scenario of ``scenarios.SCENARIOS`` runs the real ingest handler (driven by a sender
that retries as its vendor does), the real forwarder (fed by the local event source mapping,
``local/pump.py``) and counts, at the Userpilot stand-in, what was lost and what was doubled.
``test_faults.py`` runs each as a test; ``python -m tests.faults.report`` (``make
reliability``) prints them as one table. See harness.py for how faults are injected.
"""

from __future__ import annotations

import os

# As tests/conftest.py does, for runs outside pytest (the report, worker processes): fake
# credentials and fixed names before anything imports boto3 or Powertools.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": os.environ.get("POWERTOOLS_SERVICE_NAME", "webhook-to-track"),
        "POWERTOOLS_METRICS_NAMESPACE": os.environ.get(
            "POWERTOOLS_METRICS_NAMESPACE", "WebhookToTrack"
        ),
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
    }
)
for _name in ("AWS_PROFILE", "AWS_EXECUTION_ENV", "AWS_SAM_LOCAL", "SECRETS_JSON", "SECRETS_NAME"):
    os.environ.pop(_name, None)
