"""What every command shares: reading files, finding sources, the local environment and secrets."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from webhook_to_track.errors import ConfigurationError, UnknownSourceError
from webhook_to_track.local.events import make_apigw_event, sample_headers
from webhook_to_track.registry import Registry, Source, load_registry
from webhook_to_track.signing_keys import SecretsDocument, parse_secrets_document


class CommandError(Exception):
    """A problem with the command's input, printed without a traceback."""


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except ValueError as exc:
        raise CommandError(f"{path}: not valid JSON ({exc})") from None


def registry_of(args: argparse.Namespace) -> Registry:
    return load_registry(Path(args.sources_dir) if args.sources_dir else None)


def source_named(registry: Registry, name: str) -> Source:
    try:
        return registry.get(name)
    except UnknownSourceError:
        known = ", ".join(sorted(registry.sources)) or "none"
        raise CommandError(f"unknown source {name!r} (configured: {known})") from None


def local_environment(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """(template, the function environment sam local would build from template + env.json)."""
    from webhook_to_track.local.template import function_environment, load_template

    template = load_template(Path(args.template))
    env_json = read_json(Path(args.env_file)) if Path(args.env_file).exists() else {}
    return template, function_environment(template, env_json)


def local_secrets(environment: dict[str, str]) -> SecretsDocument:
    raw = environment.get("SECRETS_JSON")
    if not raw:
        raise CommandError("no SECRETS_JSON in env.json: local test secrets live there")
    try:
        return parse_secrets_document(json.loads(raw))
    except (ValueError, ConfigurationError) as exc:
        raise CommandError(
            f"SECRETS_JSON in env.json is not a valid secrets document: {exc}"
        ) from None


def signing_secret(environment: dict[str, str], source: str) -> str:
    """The source's local test secret (the first one in env.json's SECRETS_JSON)."""
    secrets = local_secrets(environment).for_source(source)
    if not secrets:
        raise CommandError(f"env.json has no test secret for {source!r}; pass --secret")
    return secrets[0]


def signed_event(
    source: Source,
    body: bytes,
    secret: str,
    timestamp: int,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway event carrying ``body`` signed exactly as the sender would, with the
    sample's other headers (e.g. x-shopify-topic)."""
    headers = {
        "content-type": source.preset.content_type,
        "user-agent": source.preset.user_agent,
        **(extra_headers or {}),
        **source.sign(body, secret, timestamp),
    }
    return make_apigw_event(source.name, body, headers, now=timestamp)


def read_payload(path: Path) -> tuple[bytes, dict[str, str]]:
    """A sample's raw body and its sidecar headers."""
    try:
        return path.read_bytes(), sample_headers(path)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def function_environments(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """(template, one environment for both functions: the ingest's, then the forwarder's
    variables it does not set; both read the same table, queue and secrets)."""
    from webhook_to_track.local.template import FORWARDER_ID, function_environment

    template, environment = local_environment(args)
    env_json = read_json(Path(args.env_file)) if Path(args.env_file).exists() else {}
    if FORWARDER_ID in template.get("Resources", {}):
        forwarder = function_environment(template, env_json, FORWARDER_ID)
        environment = {**forwarder, **environment}
    return template, environment


def sources_dir_of(args: argparse.Namespace) -> Path | None:
    return Path(args.sources_dir) if args.sources_dir else None


def pair(item: str, option: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise CommandError(f"{option} takes NAME=VALUE, not {item!r}")
    return name, value


class AwsErrors:
    """botocore's errors as one line each (no region, no credentials, refused, unreachable)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

        if isinstance(exc, NoRegionError):
            raise CommandError("no AWS region: pass --region or set AWS_REGION") from None
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code, message = error.get("Code"), error.get("Message")
            raise CommandError(f"AWS refused: {code}: {message}") from None
        if isinstance(exc, BotoCoreError):
            raise CommandError(f"AWS: {exc}") from None


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
