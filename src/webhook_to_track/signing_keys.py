"""The secrets document: signing secrets per source and the Userpilot API key.

In AWS it is one Secrets Manager secret read through Powertools Parameters (cached for
``SECRETS_MAX_AGE_SECONDS``); locally it is the ``SECRETS_JSON`` environment variable.
Named signing_keys, not secrets, to avoid shadowing the standard library module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from webhook_to_track.errors import ConfigurationError, SecretsUnavailableError
from webhook_to_track.settings import Settings


@dataclass(frozen=True, slots=True)
class SecretsDocument:
    """Never printed: every field is hidden from repr."""

    userpilot_api_key: str = field(repr=False)
    sources: Mapping[str, tuple[str, ...]] = field(repr=False)

    def for_source(self, source: str) -> tuple[str, ...]:
        """Active secrets of a source, newest first; empty means the source fails closed."""
        return self.sources.get(source, ())


def parse_secrets_document(document: Any) -> SecretsDocument:
    """Check the document's shape and report every problem at once (values never quoted).

    Raises:
        ConfigurationError: the document is not of the documented shape.
    """
    if not isinstance(document, dict):
        raise ConfigurationError("the secrets document must be a JSON object")
    problems: list[str] = []
    api_key = document.get("userpilot_api_key")
    if not isinstance(api_key, str) or not api_key.strip():
        problems.append("userpilot_api_key must be a non-empty string")
        api_key = ""
    raw_sources = document.get("sources", {})
    sources: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw_sources, dict):
        problems.append("sources must be an object: {source: [secret, ...]}")
        raw_sources = {}
    for name, value in raw_sources.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(f"sources.{name} must be a string or a list of strings")
            continue
        # Blank entries are ignored, so a source with only blanks has no usable secret.
        sources[name] = tuple(v for v in values if v.strip())
    unknown = sorted(set(document) - {"userpilot_api_key", "sources"})
    if unknown:
        problems.append(f"unknown keys: {', '.join(unknown)}")
    if problems:
        raise ConfigurationError("invalid secrets document", problems=problems)
    return SecretsDocument(userpilot_api_key=api_key.strip(), sources=sources)


def load_secrets(settings: Settings) -> SecretsDocument:
    """The current secrets document, from ``SECRETS_JSON`` locally or Secrets Manager in AWS.

    Raises:
        SecretsUnavailableError: the secret cannot be read (missing, empty, no permission).
        ConfigurationError: its content is not a valid secrets document.
    """
    if settings.secrets_json is not None:
        return parse_local_secrets(settings.secrets_json)
    if settings.secrets_name is None:
        raise ConfigurationError(
            "no secrets configured: set SECRETS_NAME (or SECRETS_JSON locally)"
        )
    # Parameters caches the fetched dict for max_age; checking its shape again costs microseconds.
    return parse_secrets_document(_fetch(settings.secrets_name, settings.secrets_max_age_s))


@lru_cache(maxsize=4)
def parse_local_secrets(raw: str) -> SecretsDocument:
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError("SECRETS_JSON is not valid JSON") from exc
    return parse_secrets_document(document)


def _fetch(name: str, max_age_s: int) -> Any:
    # Imported here: Parameters pulls in boto3, which a local run with SECRETS_JSON never needs.
    from aws_lambda_powertools.utilities import parameters

    try:
        return parameters.get_secret(name, transform="json", max_age=max_age_s)
    except parameters.exceptions.TransformParameterError as exc:
        raise ConfigurationError(f"secret {name} is not a JSON document") from exc
    except parameters.exceptions.GetParameterError as exc:
        cause = type(exc.__cause__ or exc).__name__
        raise SecretsUnavailableError(
            f"cannot read secret {name} ({cause}); has a value been stored in it yet?"
        ) from exc
