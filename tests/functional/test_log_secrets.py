"""No secret reaches the log, at any log level: not the secrets document, not AWS credentials.

At DEBUG botocore logs request and response bodies (the secrets document, from Secrets Manager)
and the canonical request (the session token). cap_sdk_loggers keeps the SDK loggers at WARNING
even when POWERTOOLS_LOG_LEVEL, the root logger (as a careless logging.basicConfig would) or a
later setLevel asks for DEBUG.

Every channel a line can leave by is captured: a handler on the root logger, the stream of the
Powertools Logger's handler (what CloudWatch receives), and stdout/stderr (capsys). The control
tests run the same flow without the cap and must find botocore's debug output, the secrets and
the token in that same capture, so the tests cannot pass because nothing was captured.

A flow is a function of the secret's name; a run of the real handler (SECRETS_NAME set) is one
more entry in FLOWS.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from webhook_to_track.observability import logger
from webhook_to_track.sdk_logging import SDK_FAMILIES, SdkLogCap, cap_sdk_loggers

ENV_JSON = Path(__file__).resolve().parents[2] / "env.json"
SECRET_NAME = "webhook-to-track/log-secrets-test"
REGION = "us-east-1"
# Long and unique, so finding it in the output can only mean it was logged.
SESSION_TOKEN = "FwoGZXIvYXdzELeakCanarySessionToken" + uuid.uuid4().hex * 4
SECRET_ACCESS_KEY = "LeakCanarySecretAccessKey" + uuid.uuid4().hex
PROBE = "sdk-log-probe-" + uuid.uuid4().hex  # a WARNING through botocore: the cap lets it by
LEVELS = ["DEBUG", "INFO", "WARN", "WARNING", "ERROR"]


def secrets_document() -> str:
    """The local secrets document, exactly as env.json gives it to the function."""
    return str(json.loads(ENV_JSON.read_text("utf-8"))["IngestFunction"]["SECRETS_JSON"])


def secret_values(document: str) -> list[str]:
    """The API key and every source secret; for user:password and whsec_<base64> also the
    secret part alone."""
    parsed = json.loads(document)
    values = [parsed["userpilot_api_key"]]
    for secrets in parsed["sources"].values():
        values.extend(secrets)
    parts = [v.partition(":")[2] or v.removeprefix("whsec_") for v in values]
    return sorted({v for v in values + parts if v})


# --- what a careless configuration does to the SDK loggers after the cap -----------------------


def lower_nothing() -> None:
    pass


def lower_by_set_level() -> None:
    for name in (*SDK_FAMILIES, "botocore.parsers", "botocore.endpoint", "botocore.auth"):
        logging.getLogger(name).setLevel(logging.DEBUG)


def lower_by_powertools_copy_config() -> None:
    # Powertools' way to send library logs through the Logger: it sets every top-level logger
    # (botocore, urllib3, ...) to the Logger's level and hands it the Logger's handler.
    copy_config_to_registered_loggers(source_logger=logger, log_level=logging.DEBUG)


def lower_by_boto3_stream_logger() -> None:
    boto3.set_stream_logger("botocore", logging.DEBUG)  # a StreamHandler on stderr


LOWERINGS: dict[str, Callable[[], None]] = {
    "nothing": lower_nothing,
    "setLevel": lower_by_set_level,
    "copy_config_to_registered_loggers": lower_by_powertools_copy_config,
    "boto3.set_stream_logger": lower_by_boto3_stream_logger,
}


# --- flows that use the secret ------------------------------------------------------------------


def powertools_flow(name: str) -> None:
    """How the function reads its secrets (signing_keys: get_secret with transform json)."""
    parameters.clear_caches()  # a fresh provider: a new boto3 session with this test's token
    assert parameters.get_secret(name, transform="json") == json.loads(secrets_document())
    assert parameters.get_secret(name) == secrets_document()


def boto3_flow(name: str) -> None:
    client = boto3.session.Session().client("secretsmanager", region_name=REGION)
    assert client.get_secret_value(SecretId=name)["SecretString"] == secrets_document()


FLOWS: dict[str, Callable[[str], None]] = {
    "powertools get_secret": powertools_flow,
    "boto3 client": boto3_flow,
}


def run_sdk(flows: list[Callable[[str], None]]) -> None:
    """Create the secret and run the flows under moto, then log a WARNING through botocore."""
    with mock_aws():
        boto3.session.Session().client("secretsmanager", region_name=REGION).create_secret(
            Name=SECRET_NAME, SecretString=secrets_document()
        )
        for flow in flows:
            flow(SECRET_NAME)
    logging.getLogger("botocore.credentials").warning(PROBE)
    logger.warning(PROBE)


# --- capture ------------------------------------------------------------------------------------


@dataclass
class Captured:
    root: io.StringIO
    powertools: io.StringIO
    capsys: pytest.CaptureFixture[str]

    def text(self) -> str:
        out, err = self.capsys.readouterr()
        return "\n".join([self.root.getvalue(), self.powertools.getvalue(), out, err])


@dataclass
class _State:
    level: int
    propagate: bool
    disabled: bool
    handlers: list[logging.Handler]
    filters: list[Any]


def _snapshot() -> dict[str, _State]:
    loggers: dict[str, logging.Logger] = {"": logging.getLogger()}
    for name, item in list(logging.root.manager.loggerDict.items()):
        if isinstance(item, logging.Logger):
            loggers[name] = item
    return {
        name: _State(lg.level, lg.propagate, lg.disabled, list(lg.handlers), list(lg.filters))
        for name, lg in loggers.items()
    }


def _restore(states: dict[str, _State]) -> None:
    for name, item in list(logging.root.manager.loggerDict.items()):
        if isinstance(item, logging.Logger) and name not in states:
            _uncap_one(item)  # created during the test (the cap pre-creates the SDK's loggers)
            item.setLevel(logging.NOTSET)
    for name, state in states.items():
        lg = logging.getLogger(name or None)
        lg.setLevel(state.level)
        lg.propagate, lg.disabled = state.propagate, state.disabled
        lg.handlers[:] = state.handlers
        lg.filters[:] = state.filters


def _uncap_one(lg: logging.Logger) -> None:
    for cap in [f for f in lg.filters if isinstance(f, SdkLogCap)]:
        lg.removeFilter(cap)


def uncap() -> None:
    """The SDK loggers as they are without the cap (observability may apply it at import)."""
    for name, item in list(logging.root.manager.loggerDict.items()):
        in_family = any(name == f or name.startswith(f + ".") for f in SDK_FAMILIES)
        if in_family and isinstance(item, logging.Logger):
            _uncap_one(item)
            item.setLevel(logging.NOTSET)


@pytest.fixture
def captured(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Captured]:
    """All log output of the test; the loggers, the root level and the Logger put back after."""
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_SECURITY_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.delenv("AWS_LAMBDA_LOG_LEVEL", raising=False)  # would override Powertools' level
    states = _snapshot()
    keys = set(logger.get_current_keys())
    level = logger.log_level

    root_buffer = io.StringIO()
    root_handler = logging.StreamHandler(root_buffer)
    root_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(root_handler)
    root.setLevel(logging.DEBUG)  # what logging.basicConfig(level=logging.DEBUG) does
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    powertools_buffer = io.StringIO()
    previous = handler.setStream(powertools_buffer)
    try:
        yield Captured(root_buffer, powertools_buffer, capsys)
    finally:
        handler.setStream(previous)
        root.removeHandler(root_handler)
        _restore(states)
        logger.remove_keys(set(logger.get_current_keys()) - keys)  # copy_config adds "name"
        logger.setLevel(level)


def set_powertools_level(monkeypatch: pytest.MonkeyPatch, level: str) -> None:
    """POWERTOOLS_LOG_LEVEL as the deployed function gets it (read when the Logger is set up)."""
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", level)
    logger.setLevel(None)  # None: take the level from POWERTOOLS_LOG_LEVEL
    assert logger.log_level == logging.getLevelName("WARNING" if level == "WARN" else level)


def leaked(text: str) -> list[str]:
    needles = [*secret_values(secrets_document()), SESSION_TOKEN, SECRET_ACCESS_KEY]
    return [needle for needle in needles if needle in text]


# --- tests --------------------------------------------------------------------------------------


def test_the_needles_are_every_secret_of_env_json():
    document = json.loads(secrets_document())
    values = secret_values(secrets_document())

    assert document["userpilot_api_key"] in values
    # whatever sources are present: each secret, and the secret part of user:password, whsec_
    for secret in (s for secrets in document["sources"].values() for s in secrets):
        assert secret in values
        assert secret.partition(":")[2] in values or ":" not in secret
        assert secret.removeprefix("whsec_") in values
    assert secret_values('{"userpilot_api_key": "k", "sources": {"a": ["u:pw", "whsec_b64"]}}') == [
        "b64",
        "k",
        "pw",
        "u:pw",
        "whsec_b64",
    ]


@pytest.mark.parametrize("lowering", LOWERINGS.values(), ids=LOWERINGS.keys())
@pytest.mark.parametrize("level", LEVELS)
def test_no_secret_reaches_the_log_at_any_level(monkeypatch, captured, level, lowering):
    set_powertools_level(monkeypatch, level)
    cap_sdk_loggers()
    lowering()

    run_sdk(list(FLOWS.values()))

    text = captured.text()
    assert leaked(text) == []
    assert "Response body" not in text  # botocore.parsers' debug line
    assert PROBE in text  # the capture works, and the cap still lets WARNING through


@pytest.mark.parametrize("lowering", LOWERINGS.values(), ids=LOWERINGS.keys())
def test_without_the_cap_the_capture_sees_botocore_debug_and_the_secrets(
    monkeypatch, captured, lowering
):
    set_powertools_level(monkeypatch, "DEBUG")
    uncap()
    lowering()

    run_sdk(list(FLOWS.values()))

    text = captured.text()
    assert "Response body" in text
    assert set(leaked(text)) >= {"up_local_test_key_not_real", SESSION_TOKEN}
    assert set(leaked(text)) >= set(secret_values(secrets_document()))


@pytest.mark.parametrize("flow", FLOWS.values(), ids=FLOWS.keys())
def test_without_the_cap_each_flow_alone_leaks(monkeypatch, captured, flow):
    """Each flow exercises the SDK path the cap must close, so each is worth guarding."""
    set_powertools_level(monkeypatch, "DEBUG")
    uncap()
    with mock_aws():
        boto3.session.Session().client("secretsmanager", region_name=REGION).create_secret(
            Name=SECRET_NAME, SecretString=secrets_document()
        )
        captured.root.truncate(0)
        captured.root.seek(0)  # only what the flow itself logs
        flow(SECRET_NAME)

    text = captured.text()
    assert SESSION_TOKEN in text
    assert "up_local_test_key_not_real" in text


def test_the_cap_outlives_a_later_set_level_on_a_child(captured):
    cap_sdk_loggers()
    child = logging.getLogger("botocore.parsers")  # imported already, or pre-created by the cap
    child.setLevel(logging.DEBUG)
    logging.getLogger("botocore").setLevel(logging.DEBUG)

    child.debug("must not appear %s", PROBE)
    child.warning("must appear")

    text = captured.text()
    assert PROBE not in text
    assert "must appear" in text


def test_cap_sdk_loggers_is_idempotent_and_can_move(captured):
    cap_sdk_loggers()
    cap_sdk_loggers()
    parsers = logging.getLogger("botocore.parsers")
    assert [f.level for f in parsers.filters if isinstance(f, SdkLogCap)] == [logging.WARNING]

    cap_sdk_loggers(logging.ERROR)

    assert [f.level for f in parsers.filters if isinstance(f, SdkLogCap)] == [logging.ERROR]
    assert logging.getLogger("botocore").level == logging.ERROR
    assert logging.getLogger("urllib3.connectionpool").getEffectiveLevel() == logging.ERROR
