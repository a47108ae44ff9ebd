"""The local test secrets: a readable file (events/local-secrets.json, the secrets document
pretty-printed) that local commands read, and env.json's one-line SECRETS_JSON strings, which
``sam local invoke`` needs and which are generated from it, never edited by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from webhook_to_track.errors import ConfigurationError
from webhook_to_track.local.files import replace_text
from webhook_to_track.signing_keys import SecretsDocument, parse_secrets_document

LOCAL_SECRETS_FILE: Final = "events/local-secrets.json"
ENV_FILE: Final = "env.json"
REFRESH_COMMAND: Final = "webhook-to-track events"
"""Rewrites env.json's SECRETS_JSON from the readable file (as ``sources new`` does)."""
INGEST_ID: Final = "IngestFunction"
FORWARDER_ID: Final = "ForwarderFunction"


class LocalSecretsError(Exception):
    """The readable secrets file is missing or is not a valid secrets document."""


def read_local_secrets(path: Path) -> dict[str, Any]:
    """The readable file as a JSON document, checked against the secrets document's shape.

    Raises:
        LocalSecretsError: the file is missing, not JSON or not a secrets document.
    """
    try:
        document = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise LocalSecretsError(
            f"{path}: no such file (the local test secrets: "
            '{"userpilot_api_key": "...", "sources": {"<source>": ["<secret>"]}})'
        ) from None
    except ValueError as exc:
        raise LocalSecretsError(f"{path}: not valid JSON ({exc})") from None
    try:
        parse_secrets_document(document)
    except ConfigurationError as exc:
        raise LocalSecretsError(f"{path}: not a valid secrets document: {exc}") from None
    return dict(document)


def load_local_secrets(path: Path) -> SecretsDocument:
    """The readable file, parsed as the function parses its secrets document.

    Raises:
        LocalSecretsError: see read_local_secrets.
    """
    return parse_secrets_document(read_local_secrets(path))


def write_local_secrets(path: Path, document: dict[str, Any]) -> None:
    """Write the document readably: one source per line, sorted, so diffs stay small."""
    parse_secrets_document(document)  # never write a document the function would refuse
    sources = document.get("sources", {})
    lines = [f'  "userpilot_api_key": {json.dumps(document["userpilot_api_key"])},']
    if sources:
        entries = [
            f"    {json.dumps(name)}: {json.dumps(sources[name], ensure_ascii=False)}"
            for name in sorted(sources)
        ]
        lines.append('  "sources": {\n' + ",\n".join(entries) + "\n  }")
    else:
        lines.append('  "sources": {}')
    replace_text(path, "{\n" + "\n".join(lines) + "\n}\n")


def secrets_json(document: dict[str, Any]) -> str:
    """The one-line string env.json's IngestFunction.SECRETS_JSON holds (sorted sources)."""
    sources = document.get("sources", {})
    ordered = {
        "userpilot_api_key": document["userpilot_api_key"],
        "sources": {name: sources[name] for name in sorted(sources)},
    }
    return json.dumps(ordered)


def forwarder_secrets_json(document: dict[str, Any]) -> str:
    """The forwarder's: only the Userpilot key (it verifies no signatures)."""
    return json.dumps({"userpilot_api_key": document["userpilot_api_key"]})


def expected_env_secrets(document: dict[str, Any]) -> dict[str, str]:
    """Function id -> the SECRETS_JSON env.json must hold for it."""
    return {INGEST_ID: secrets_json(document), FORWARDER_ID: forwarder_secrets_json(document)}


def env_json_differences(secrets_file: Path, env_file: Path) -> list[str]:
    """The functions whose SECRETS_JSON in env.json is not generated from the readable file.

    Raises:
        LocalSecretsError: the readable file is missing or invalid.
        ValueError: env.json is not JSON.
    """
    expected = expected_env_secrets(read_local_secrets(secrets_file))
    return _differences(expected, json.loads(env_file.read_text("utf-8")))


def _differences(expected: dict[str, str], env_json: dict[str, Any]) -> list[str]:
    return [
        function_id
        for function_id, value in expected.items()
        if function_id in env_json and env_json[function_id].get("SECRETS_JSON") != value
    ]


def sync_env_json(secrets_file: Path, env_file: Path) -> bool:
    """Rewrite env.json's SECRETS_JSON strings from the readable file, only when they differ
    (so env.json's timestamp and git status stay as they are otherwise); whether it wrote.

    Raises:
        LocalSecretsError: the readable file is missing or invalid.
        ValueError: env.json is not JSON.
    """
    if not env_file.exists():
        return False
    expected = expected_env_secrets(read_local_secrets(secrets_file))
    env_json = json.loads(env_file.read_text("utf-8"))
    changed = _differences(expected, env_json)
    if not changed:
        return False
    for function_id in changed:
        env_json[function_id]["SECRETS_JSON"] = expected[function_id]
    replace_text(env_file, json.dumps(env_json, indent=2) + "\n")
    return True
