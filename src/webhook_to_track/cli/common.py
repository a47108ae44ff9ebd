"""What every command shares: reading files, finding sources, the local environment and secrets."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from webhook_to_track.errors import ConfigurationError, UnknownSourceError
from webhook_to_track.local.events import make_apigw_event, sample_headers
from webhook_to_track.registry import Registry, Source, load_registry
from webhook_to_track.signing_keys import SecretsDocument, parse_secrets_document

T = TypeVar("T")


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


_SECRETS_HINT = "events/local-secrets.json (or the --secrets-file given)"


def secrets_file_of(args: argparse.Namespace) -> Path:
    """The readable local secrets file (--secrets-file, default events/local-secrets.json)."""
    from webhook_to_track.local.secrets import LOCAL_SECRETS_FILE

    return Path(getattr(args, "secrets_file", None) or LOCAL_SECRETS_FILE)


def local_secrets_json(args: argparse.Namespace) -> str:
    """The readable local secrets file as the one-line SECRETS_JSON the functions read."""
    from webhook_to_track.local.secrets import LocalSecretsError, read_local_secrets, secrets_json

    try:
        return secrets_json(read_local_secrets(secrets_file_of(args)))
    except LocalSecretsError as exc:
        raise CommandError(str(exc)) from None


def sync_env_secrets(args: argparse.Namespace) -> None:
    """Regenerate env.json's SECRETS_JSON (for sam local invoke) from the readable local
    secrets file when they differ, and say so."""
    from webhook_to_track.local.secrets import LocalSecretsError, sync_env_json

    try:
        if sync_env_json(secrets_file_of(args), Path(args.env_file)):
            print(f"updated {args.env_file}: SECRETS_JSON from {secrets_file_of(args)}")
    except LocalSecretsError as exc:
        raise CommandError(str(exc)) from None
    except ValueError as exc:
        raise CommandError(f"{args.env_file}: not valid JSON ({exc})") from None


def local_environment(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """(template, the function environment sam local would build from template + env.json),
    with SECRETS_JSON read from the readable local secrets file, which env.json's copy is
    generated from."""
    from webhook_to_track.local.template import function_environment, load_template

    template = load_template(Path(args.template))
    env_json = read_json(Path(args.env_file)) if Path(args.env_file).exists() else {}
    environment = function_environment(template, env_json)
    environment["SECRETS_JSON"] = local_secrets_json(args)
    return template, environment


def local_secrets(environment: dict[str, str]) -> SecretsDocument:
    """The secrets document of an environment built by local_environment."""
    raw = environment.get("SECRETS_JSON")
    if not raw:
        raise CommandError(f"no local test secrets: {_SECRETS_HINT}")
    try:
        return parse_secrets_document(json.loads(raw))
    except (ValueError, ConfigurationError) as exc:
        raise CommandError(f"the local secrets are not a valid secrets document: {exc}") from None


def signing_secret(environment: dict[str, str], source: str) -> str:
    """The source's local test secret (its first one in events/local-secrets.json)."""
    secrets = local_secrets(environment).for_source(source)
    if not secrets:
        raise CommandError(
            f"no local test secret for {source!r}: add one under sources.{source} in "
            f"{_SECRETS_HINT}, or pass --secret"
        )
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


def runtime_environment(
    args: argparse.Namespace, forward_mode: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """(template, the environment ``invoke`` and ``serve`` run both functions with): env.json's,
    idempotency on (env.json turns it off for sam local only), the forward mode, --sources-dir.
    The caller applies ``--env`` last."""
    from webhook_to_track.settings import FORWARD_MODE, IDEMPOTENCY_DISABLED, SOURCES_DIR

    template, environment = function_environments(args)
    environment.update({IDEMPOTENCY_DISABLED: "false", FORWARD_MODE: forward_mode})
    if args.sources_dir:
        environment[SOURCES_DIR] = args.sources_dir
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

        from webhook_to_track.local.stack import StackError

        if isinstance(exc, StackError):  # e.g. records that stayed unread after every retry
            raise CommandError(str(exc)) from None
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


def add_location_options(
    parser: argparse.ArgumentParser, title: str = "where the queues are"
) -> argparse._ArgumentGroup:
    """--stack, --samconfig, --config-env, --queue-url, --dlq-url, --endpoint-url and --region,
    in one group (``dlq``, ``replay`` and ``deliveries`` find the deployed stack or a local
    stand-in the same way); the group, for a command's own location options."""
    where = parser.add_argument_group(title)
    where.add_argument("--stack", help="deployed stack name (default: samconfig.toml's)")
    where.add_argument("--samconfig", default="samconfig.toml", help="(default: %(default)s)")
    where.add_argument(
        "--config-env", default="default", help="samconfig environment (default: %(default)s)"
    )
    where.add_argument("--queue-url", help="the forward queue's URL (with --dlq-url: no stack)")
    where.add_argument("--dlq-url", help="the dead-letter queue's URL")
    where.add_argument(
        "--endpoint-url", help="a local AWS stand-in (moto server), e.g. http://127.0.0.1:5000"
    )
    where.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    return where


def located(args: argparse.Namespace, resolve: Callable[..., T]) -> tuple[Any, T]:
    """(the Endpoint, what ``resolve`` found) from the location options: ``resolve`` is
    local.stack's resolve_queues or local.deliveries' resolve_location, given the explicit
    URLs or table already; it gets the stack, samconfig and a CloudFormation client here."""
    from webhook_to_track.local.stack import Endpoint, StackError

    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    endpoint = Endpoint(args.region, args.endpoint_url)
    try:
        found = resolve(
            stack=args.stack,
            cloudformation=lambda: endpoint.client("cloudformation"),
            samconfig=Path(args.samconfig),
            config_env=args.config_env,
        )
    except StackError as exc:
        raise CommandError(str(exc)) from None
    return endpoint, found
