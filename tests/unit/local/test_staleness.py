"""The stale-sample hint: how old the signature is (as the source's verifier reads it), the
tolerance that refused it, and how to refresh it; nothing for any other answer."""

from __future__ import annotations

import functools
import time
from typing import Any

import pytest

from tests.factories import STRIPE_SECRET, VEHICLE_SOURCES, payload, secrets_json
from webhook_to_track.cli.common import signed_event
from webhook_to_track.errors import SignatureMismatchError, TimestampOutOfToleranceError
from webhook_to_track.local.staleness import duration, stale_sample_hint
from webhook_to_track.registry import Registry, load_registry
from webhook_to_track.responses import error_response, json_response

ENVIRONMENT = {"SECRETS_JSON": secrets_json()}


@functools.cache
def registry() -> Registry:
    return load_registry(VEHICLE_SOURCES)  # the tests' own stripe: the shipped one may go


def stripe_event(age_s: int) -> dict[str, Any]:
    source = registry().get("stripe")
    body = payload("stripe", "invoice.paid")
    return signed_event(source, body, STRIPE_SECRET, int(time.time()) - age_s)


REFUSED = error_response(TimestampOutOfToleranceError("timestamp is older than..."), "r")


def hint(event: dict[str, Any], response: dict[str, Any] = REFUSED, **env: str) -> str | None:
    return stale_sample_hint(event, response, {**ENVIRONMENT, **env}, registry)


def test_a_sample_refused_as_too_old_gets_its_age_the_tolerance_and_the_remedies():
    text = hint(stripe_event(3 * 86400))

    assert text is not None
    assert text.startswith(
        "This sample was signed 3 days ago; the tolerance of stripe is 300 s"
        " (tolerance_s in its source file)."
    )
    assert "--fresh (make invoke passes it)" in text
    assert "`webhook-to-track events --all`" in text
    assert "LOCAL_SIGNATURE_TOLERANCE_SECONDS=off in env.json" in text


def test_the_age_is_the_signatures_not_the_events():
    event = stripe_event(2 * 3600)
    event["requestContext"]["timeEpoch"] = 0  # only the signed timestamp counts

    assert (hint(event) or "").startswith("This sample was signed 2 h ago")


def test_a_sample_signed_in_the_future_says_so():
    assert (hint(stripe_event(-930)) or "").startswith("This sample is signed 15 min in the future")


def test_a_local_override_is_named_as_the_tolerance():
    text = hint(stripe_event(7200), LOCAL_SIGNATURE_TOLERANCE_SECONDS="600")

    assert "the tolerance of stripe is 600 s (LOCAL_SIGNATURE_TOLERANCE_SECONDS=600)" in (
        text or ""
    )


@pytest.mark.parametrize(
    "response",
    [
        json_response(202, {"status": "accepted"}),
        error_response(SignatureMismatchError("no v1 matches"), "r"),
        {"statusCode": 401, "body": "not json"},
    ],
    ids=["accepted", "other-401", "unreadable"],
)
def test_any_other_answer_gets_no_hint(response):
    asked: list[str] = []

    def counted() -> Registry:
        asked.append("registry")
        return registry()

    assert stale_sample_hint(stripe_event(86400), response, ENVIRONMENT, counted) is None
    assert asked == []  # the registry is not even loaded


def test_without_the_secret_the_age_is_unknown_but_the_remedies_stay():
    text = hint(stripe_event(86400), SECRETS_JSON=secrets_json(stripe=["whsec_other"]))

    assert (text or "").startswith("This sample's signed timestamp is outside the tolerance;")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (119, "119 s"),
        (120, "2 min"),
        (7199, "119 min"),
        (7200, "2 h"),
        (172800, "2 days"),
    ],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert duration(seconds) == text
    assert duration(-seconds) == text
