"""``sources new`` and ``sources remove``: a working starting point for a new sender, and the
clean removal of one.

``sources new`` writes a source file for a preset, a sample payload its one rule maps to one
track call, and a random local test secret in the format the preset needs. Everything is built
and checked before anything is written: the file compiles, the sample maps to one valid call,
and the secret verifies the signature it makes. ``sources remove`` deletes a source's file with
everything that belongs to it (samples, golden files, forwarder samples, local secret)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode

from webhook_to_track.delivery import parse_body
from webhook_to_track.errors import SignatureError
from webhook_to_track.local.events import FORWARDER_SAMPLES, HEADERS_SUFFIX, make_apigw_event
from webhook_to_track.local.golden import NOT_SOURCES, source_folders
from webhook_to_track.local.secrets import (
    load_local_secrets,
    read_local_secrets,
    write_local_secrets,
)
from webhook_to_track.presets import PRESETS, Preset
from webhook_to_track.registry import Source, compile_source, source_files
from webhook_to_track.request import SOURCE_NAME, parse_request
from webhook_to_track.rules import Problems
from webhook_to_track.rules.problems import did_you_mean
from webhook_to_track.userpilot.validation import is_valid_track

CASE: Final = "example.created"
"""The sample's case name: events/payloads/<name>/example.created.json (or .form)."""
EVENT_TYPE: Final = "example.created"
EVENT_NAME: Final = "example_created"
SAMPLE_URL: Final = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/{name}"
"""The URL senders that sign it are given until the real one is set (the sample events' host)."""
_DELIVERY_ID: Final = "evt_0001"
_PREFIX: Final = re.compile(r"\((\w+_)\.\.\.")  # "(whsec_..." in a preset's secret_help


class ScaffoldError(Exception):
    """The name or preset cannot be scaffolded (a one-line message for the user)."""


@dataclass(frozen=True, slots=True)
class Scaffold:
    """Everything ``sources new`` writes, built and checked in memory first."""

    name: str
    preset: Preset
    document: dict[str, Any]
    payload: bytes
    payload_suffix: str  # ".json", or ".form" for form senders
    headers: dict[str, str]  # the sample's sidecar headers besides the signature
    secret: str

    def source_text(self) -> str:
        return pretty_json(self.document) + "\n"


def pretty_json(value: Any, indent: int = 0, used: int = 0, width: int = 100) -> str:
    """JSON as the shipped source files are written: an object or array on one line when it
    fits in ``width`` (``used`` columns are taken before it on its line), else one member
    per line, indented by two."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or used + len(flat) <= width:
        return flat
    inner = " " * (indent + 2)
    members: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{inner}{json.dumps(key, ensure_ascii=False)}: "
            members.append(head + pretty_json(item, indent + 2, len(head), width))
        opening, closing = "{", "}"
    else:
        members = [inner + pretty_json(item, indent + 2, len(inner), width) for item in value]
        opening, closing = "[", "]"
    return opening + "\n" + ",\n".join(members) + "\n" + " " * indent + closing


def check_name(name: str, taken: Collection[str]) -> None:
    """Raises ScaffoldError unless ``name`` is a new, valid source name."""
    if not SOURCE_NAME.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} is not a valid source name: 1 to 64 of a-z 0-9 _ -, starting with a"
            " letter or digit (it is the URL path /webhooks/<name>)"
        )
    if name in NOT_SOURCES:
        raise ScaffoldError(f"{name!r} is reserved (a folder of that name already has a role)")
    if name in taken:
        raise ScaffoldError(f"a source named {name!r} already exists: pick another name")


def preset_named(name: str) -> Preset:
    """Raises ScaffoldError (with a did-you-mean) for an unknown preset."""
    preset = PRESETS.get(name)
    if preset is None:
        raise ScaffoldError(
            f"unknown preset {name!r}{did_you_mean(name, PRESETS)};"
            f" presets: {', '.join(sorted(PRESETS))}"
        )
    return preset


def plan(
    name: str, preset_name: str, taken: Collection[str], secret: str | None = None
) -> Scaffold:
    """The scaffold for a new source ``name`` on ``preset_name``; ``secret`` reuses a local
    test secret already on file (else a random one is made).

    Raises:
        ScaffoldError: bad or taken name, unknown preset, or a secret the preset cannot use.
    """
    check_name(name, taken)
    preset = preset_named(preset_name)
    items = "each" in preset.delivery_id  # the body is an array of events (HubSpot)
    options = _signature_options(name, preset)
    document = _source_document(name, preset, options, items)
    body, suffix = _payload(preset, items)
    if secret is None:
        secret = local_secret(preset, options, body)
    elif not _secret_works(preset, options, body, secret):
        raise ScaffoldError(
            f"the local test secret already on file for {name!r} does not suit preset"
            f" {preset.name!r} ({preset.secret_help}): remove it first"
        )
    headers = _sidecar_headers(preset, options, body, secret)
    scaffold = Scaffold(name, preset, document, body, suffix, headers, secret)
    _self_check(scaffold)
    return scaffold


# --- the source file ------------------------------------------------------------------------------


def _signature_options(name: str, preset: Preset) -> dict[str, Any]:
    """The options the preset requires (others keep their defaults)."""
    options: dict[str, Any] = {}
    if preset.name == "hmac":  # the generic preset: a scheme like the acme example's
        options.update(
            {
                "header": f"x-{name}-signature",
                "hash": "sha256",
                "encoding": "hex",
                "prefix": "sha256=",
                "template": "{timestamp}.{body}",
                "timestamp_header": f"x-{name}-timestamp",
            }
        )
    if "url" in preset.options and preset.options["url"].required:
        options["url"] = SAMPLE_URL.format(name=name)
    return options


def _description(name: str, preset: Preset, options: Mapping[str, Any]) -> str:
    parts = [
        f"Scaffolded by `webhook-to-track sources new {name} --preset {preset.name}`: a"
        " starting point to edit. Register https://<api>/webhooks/"
        f"{name} with the sender and store its secret under sources.{name} in the secrets"
        f" document ({preset.secret_help}).",
    ]
    if "url" in options:
        parts.append(
            "The signed URL under signature is the sample host: replace it with your deployed"
            " URL, exactly as registered with the sender."
        )
    if preset.name == "hmac":
        parts.append(
            "Describe the sender's scheme under signature (header, hash, encoding, prefix,"
            " template, timestamp_header...): see the README's 'Add a sender without writing"
            " code'."
        )
    parts.append(
        f"Then replace events/payloads/{name}/{CASE}.* with a real payload from the sender,"
        " point defaults.user_id at your app's user id in it, and write one rule per event"
        " type you want in Userpilot."
    )
    return " ".join(parts)


def _source_document(
    name: str, preset: Preset, options: Mapping[str, Any], items: bool
) -> dict[str, Any]:
    at = "@." if items else ""  # inside a for_each, paths read the current item
    data = "" if preset.body_format == "form" else "data."  # a flat form has no nesting
    document: dict[str, Any] = {
        "$schema": "./source.schema.json",
        "description": _description(name, preset, options),
        "signature": {"preset": preset.name, **options},
    }
    if preset.name == "hmac":  # no preset default: say where the id is
        document["delivery_id"] = {"path": "id"}
    document["defaults"] = {
        "description": "Edit the user id path: where your app's user id is in the payload"
        " (the user must already exist in Userpilot). Fallbacks go in a list of paths.",
        "user_id": {"path": f"{at}{data}user_id", "transform": ["to_string"]},
        "metadata": {"source": name},
        "occurred_at": {"path": f"{at}created_at"},
        "source_event_id": {"path": f"{at}id", "key": f"{name.replace('-', '_')}_event_id"},
    }
    # An array body (HubSpot) is mapped item by item: one event per element of this type.
    each = {"for_each": "$", "when": {"@.type": [EVENT_TYPE]}} if items else {}
    event = {
        **each,
        "event_name": EVENT_NAME,
        "metadata": {
            "plan": {"path": f"{at}{data}plan", "transform": ["lowercase"]},
            "seats": {"path": f"{at}{data}seats", "transform": ["to_int"]},
        },
    }
    document["rules"] = [
        {
            "id": f"{name}.{EVENT_NAME}",
            "description": f"An example rule: the sample's {EVENT_TYPE!r} events become"
            f" {EVENT_NAME!r}. Match the sender's real event types and map the fields you"
            " need.",
            "match": {} if items else {"type": [EVENT_TYPE]},
            "events": [event],
        }
    ]
    return document


# --- the sample payload ---------------------------------------------------------------------------


def _example(preset: Preset, items: bool) -> dict[str, Any]:
    """A typical event: an id (where the preset reads it), a type, a time, a user id."""
    fields = {"user_id": "user_123", "plan": "Pro", "seats": 5}
    example: dict[str, Any] = {"id": _DELIVERY_ID, "type": EVENT_TYPE}
    example["created_at"] = "2026-01-15T09:30:00Z"
    if preset.body_format == "form":
        example.update(fields)
    else:
        example["data"] = fields
    where = preset.delivery_id.get("each" if items else "path")
    if isinstance(where, str) and where not in example and "." not in where:
        example[where] = _DELIVERY_ID  # e.g. event_id, trigger_id, eventId
    return example


def _payload(preset: Preset, items: bool) -> tuple[bytes, str]:
    """The raw body as the sender would send it, and the sample file's suffix."""
    example = _example(preset, items)
    if preset.body_format == "json":
        document: Any = [example] if items else example
        return (json.dumps(document, indent=2) + "\n").encode(), ".json"
    if preset.body_format == "form-payload":  # payload=<json>, as GitHub's form mode
        return f"payload={quote(json.dumps(example))}".encode(), ".form"
    if preset.body_format == "form-brackets":  # data[user_id]=..., as Maxio
        return urlencode(list(_brackets(example))).encode(), ".form"
    return urlencode({k: str(v) for k, v in example.items()}).encode(), ".form"


def _brackets(value: Mapping[str, Any], prefix: str = "") -> Any:
    for key, item in value.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(item, Mapping):
            yield from _brackets(item, name)
        else:
            yield name, str(item)


def _sidecar_headers(
    preset: Preset, options: Mapping[str, Any], body: bytes, secret: str
) -> dict[str, str]:
    """A delivery id header the signature does not carry (GitHub, Shopify, Zendesk)."""
    names = preset.delivery_id.get("header")
    if not names:
        return {}
    names = (names,) if isinstance(names, str) else tuple(names)
    signed = preset.sign(body, secret, int(time.time()), options)
    if any(name in signed for name in names):
        return {}
    return {names[0]: "00000000-0000-4000-8000-000000000001"}


# --- the local secret -----------------------------------------------------------------------------


def _whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _candidates(preset: Preset) -> list[Callable[[], str]]:
    """Secret formats, most general first: a random string (any HMAC key), with the prefix
    the sender's secrets have (whsec_ for Stripe, pdl_ntfset_ for Paddle); whsec_ + base64
    (Standard Webhooks, which refuse the first: '-' is not base64); user:password (Basic
    auth, which refuses both: no ':')."""
    found = _PREFIX.search(preset.secret_help)
    prefix = found.group(1) if found else ""
    return [
        lambda: f"{prefix}local-{secrets.token_hex(16)}",
        _whsec,
        lambda: f"local-user:{secrets.token_hex(16)}",
    ]


def local_secret(preset: Preset, options: Mapping[str, Any], body: bytes) -> str:
    """A random local test secret in the format the preset needs, proven by a round trip:
    the preset verifies what it signs with it.

    Raises:
        ScaffoldError: no known format suits the preset.
    """
    for make in _candidates(preset):
        secret = make()
        if _secret_works(preset, options, body, secret):
            return secret
    raise ScaffoldError(f"no local secret format suits preset {preset.name!r}")


def _secret_works(preset: Preset, options: Mapping[str, Any], body: bytes, secret: str) -> bool:
    now = int(time.time())
    try:
        headers = preset.sign(body, secret, now, options)
        preset.build([secret], options, clock=lambda: float(now)).verify(body, headers)
    except SignatureError:
        return False
    return True


# --- the check before anything is written ---------------------------------------------------------


def compiled(scaffold: Scaffold) -> Source:
    """The scaffold's source file, compiled as the function compiles it.

    Raises:
        ScaffoldError: it does not compile (a bug here, not the user's).
    """
    problems = Problems(f"{scaffold.name}.json")
    source = compile_source(scaffold.name, scaffold.document, f"{scaffold.name}.json", problems)
    if source is None or problems:
        raise ScaffoldError(f"the scaffold does not compile: {'; '.join(problems.items)}")
    return source


def _self_check(scaffold: Scaffold) -> None:
    """The sample goes through parsing, its delivery id and the rules to one valid call."""
    source = compiled(scaffold)
    event = make_apigw_event(
        scaffold.name,
        scaffold.payload,
        {"content-type": scaffold.preset.content_type, **scaffold.headers},
    )
    request = parse_request(event, max_body_bytes=len(scaffold.payload) + 1)
    payload = parse_body(request.body, scaffold.preset.body_format)
    delivery_id = source.delivery_id.find(payload, request)
    result = source.rules.map(payload, delivery_id=delivery_id, headers=request.headers)
    calls = [item.call.body for item in result.calls]
    if len(calls) != 1 or result.rejected or not is_valid_track(calls[0]):
        raise ScaffoldError(f"the scaffold's sample does not map to one valid call: {calls}")


# --- the files ------------------------------------------------------------------------------------


def packaged_sources_dir() -> Path:
    """The package's own source-file folder (src/webhook_to_track/sources in a checkout)."""
    from webhook_to_track import sources

    return Path(sources.__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a project keeps each kind of per-source file."""

    sources_dir: Path
    events_dir: Path
    fixtures_dir: Path
    secrets_file: Path

    def source_file(self, name: str) -> Path:
        return self.sources_dir / f"{name}.json"

    def payload_file(self, scaffold: Scaffold) -> Path:
        return self.events_dir / "payloads" / scaffold.name / f"{CASE}{scaffold.payload_suffix}"

    def folders(self, name: str) -> list[Path]:
        return source_folders(name, self.events_dir, self.fixtures_dir)


def taken_names(layout: Layout) -> set[str]:
    """Source names a source file already uses (whether or not it compiles)."""
    return {file.removesuffix(".json") for file, _ in source_files(layout.sources_dir)}


def write_scaffold(scaffold: Scaffold, layout: Layout) -> list[Path]:
    """Write the source file, the sample (and its sidecar headers) and the local secret;
    the paths written. Refuses to overwrite any file.

    Raises:
        ScaffoldError: one of the files exists already.
        LocalSecretsError: the local secrets file is missing or invalid.
    """
    source_file, payload_file = layout.source_file(scaffold.name), layout.payload_file(scaffold)
    for path in (source_file, *layout.folders(scaffold.name)):
        if path.exists():
            raise ScaffoldError(f"{path} exists already: nothing was written")
    document = read_local_secrets(layout.secrets_file)
    sources = dict(document.get("sources", {}))
    sources.setdefault(scaffold.name, [scaffold.secret])  # one on file already is kept
    source_file.write_text(scaffold.source_text(), "utf-8")
    payload_file.parent.mkdir(parents=True)
    payload_file.write_bytes(scaffold.payload)
    written = [source_file, payload_file]
    if scaffold.headers:
        sidecar = payload_file.with_name(payload_file.stem + HEADERS_SUFFIX)
        sidecar.write_text(json.dumps(scaffold.headers, indent=2) + "\n", "utf-8")
        written.append(sidecar)
    write_local_secrets(layout.secrets_file, {**document, "sources": sources})
    written.append(layout.secrets_file)
    return written


def existing_secret(layout: Layout, name: str) -> str | None:
    """The local test secret already on file for ``name``, if any (never replaced silently).

    Raises:
        LocalSecretsError: the local secrets file is missing or invalid.
    """
    found = load_local_secrets(layout.secrets_file).for_source(name)
    return found[0] if found else None


def remove_source(name: str, layout: Layout) -> list[Path]:
    """Delete everything that belongs to source ``name``: its source file, its samples
    (events/payloads/<name>, events/<name>), its golden files (tests/fixtures/<name>), the
    forwarder samples made from it, and its local test secret; the paths removed.

    Raises:
        ScaffoldError: there is nothing of that name to remove.
        LocalSecretsError: the local secrets file is missing or invalid.
    """
    document = read_local_secrets(layout.secrets_file)  # before anything is deleted
    removed: list[Path] = []
    source_file = layout.source_file(name)
    if source_file.exists():
        source_file.unlink()
        removed.append(source_file)
    for folder in layout.folders(name):
        if folder.is_dir():
            shutil.rmtree(folder)
            removed.append(folder)
    for file, (source, _) in sorted(FORWARDER_SAMPLES.items()):
        sample = layout.events_dir / "forwarder" / file
        if source == name and sample.exists():
            sample.unlink()
            removed.append(sample)
    sources = dict(document.get("sources", {}))
    if sources.pop(name, None) is not None:
        write_local_secrets(layout.secrets_file, {**document, "sources": sources})
        removed.append(layout.secrets_file)
    if not removed:
        raise ScaffoldError(f"no source named {name!r}: nothing to remove")
    return removed
