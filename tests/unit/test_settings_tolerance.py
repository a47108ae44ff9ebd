"""LOCAL_SIGNATURE_TOLERANCE_SECONDS: seconds or off locally, refused in a deployed function."""

from __future__ import annotations

import pytest

from webhook_to_track.errors import ConfigurationError
from webhook_to_track.settings import NO_TIMESTAMP_LIMIT, Settings

BASE = {"IDEMPOTENCY_TABLE": "t", "SECRETS_NAME": "arn:aws:secretsmanager:x"}
NAME = "LOCAL_SIGNATURE_TOLERANCE_SECONDS"
DEPLOYED = {**BASE, "FORWARD_QUEUE_URL": "q", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}


def test_unset_or_empty_keeps_each_sources_own():
    assert Settings.from_env(BASE).signature_tolerance_s is None
    assert Settings.from_env({**BASE, NAME: " "}).signature_tolerance_s is None


@pytest.mark.parametrize(
    ("raw", "tolerance"),
    [
        ("3600", 3600),
        ("1", 1),
        (" 86400 ", 86400),
        ("off", NO_TIMESTAMP_LIMIT),
        ("OFF", NO_TIMESTAMP_LIMIT),
    ],
)
def test_seconds_or_off_are_accepted_locally(raw, tolerance):
    assert Settings.from_env({**BASE, NAME: raw}).signature_tolerance_s == tolerance


def test_sam_local_counts_as_local():
    sam_local = {**DEPLOYED, "AWS_SAM_LOCAL": "true", NAME: "off"}

    assert Settings.from_env(sam_local).signature_tolerance_s == NO_TIMESTAMP_LIMIT


@pytest.mark.parametrize("raw", ["0", "-5", "1.5", "soon", "on", "5s"])
def test_bad_values_are_rejected_with_the_variable_named(raw):
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({**BASE, NAME: raw})

    assert caught.value.problems == [
        f"{NAME}={raw!r}: expected a whole number of seconds (1 or more) or off"
    ]


@pytest.mark.parametrize("raw", ["off", "3600"])
def test_refused_in_a_deployed_function(raw):
    Settings.from_env(DEPLOYED)  # control: the same environment without it parses

    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({**DEPLOYED, NAME: raw})

    assert caught.value.problems == [f"{NAME} is for local runs only; unset it in AWS"]


def test_declared_empty_in_a_deployed_function_is_fine():
    assert Settings.from_env({**DEPLOYED, NAME: ""}).signature_tolerance_s is None
