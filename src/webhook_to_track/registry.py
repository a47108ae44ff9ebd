"""The source registry: one JSON file per source (signature preset, delivery id, mapping rules),
compiled once per cold start. A broken file stops the function with every problem listed."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any, Final

from webhook_to_track.delivery import DeliveryIdSpec
from webhook_to_track.errors import ConfigurationError, UnknownSourceError
from webhook_to_track.presets import PRESETS, Preset
from webhook_to_track.request import SOURCE_NAME
from webhook_to_track.rules import Problems, RuleSet, compile_ruleset
from webhook_to_track.rules.paths import PathError, parse_path
from webhook_to_track.rules.problems import did_you_mean, pointer
from webhook_to_track.signatures import Verifier

TOP_KEYS: Final = ("$schema", "description", "signature", "delivery_id", "defaults", "rules")
MODES: Final = ("enforce", "shadow")
SCHEMA_SUFFIX: Final = ".schema.json"


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    file: str
    preset: Preset
    options: Mapping[str, Any]
    delivery_id: DeliveryIdSpec
    rules: RuleSet
    # Shadow mode (for rollout): a failed signature check is logged and counted, and the
    # delivery goes through anyway. Off unless the source file asks for it.
    shadow: bool = False

    def verifier(self, secrets: Sequence[str], tolerance_s: int | None = None) -> Verifier:
        """A verifier over the current secrets (they rotate, so it is built per request);
        ``tolerance_s`` replaces a timestamped source's own (local runs only, see settings)."""
        # The options were resolved and checked when the file was compiled: not again here.
        options = self.options
        if tolerance_s is not None and "tolerance_s" in options:
            options = {**options, "tolerance_s": tolerance_s}
        return self.preset.make_verifier(secrets, options, time.time)

    def sign(self, body: bytes, secret: str, timestamp: int) -> dict[str, str]:
        """The headers the sender would send with ``body``, per this source's options."""
        return self.preset.make_headers(body, secret, timestamp, self.options)


@dataclass(frozen=True, slots=True)
class Registry:
    sources: Mapping[str, Source]

    def get(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            raise UnknownSourceError(f"no source named {name!r} is configured") from None


def _compile_mode(spec: Any, problems: Problems) -> bool:
    """Whether the source runs in shadow mode: ``"mode": "shadow"`` in its signature."""
    mode = spec.get("mode", "enforce") if isinstance(spec, dict) else "enforce"
    if mode not in MODES:
        problems.add("/signature/mode", f"mode is {' or '.join(MODES)} (default enforce)")
    return bool(mode == "shadow")


def _compile_signature(spec: Any, problems: Problems) -> tuple[Preset | None, dict[str, Any]]:
    where = "/signature"
    if not isinstance(spec, dict) or not isinstance(spec.get("preset"), str):
        problems.add(where, 'signature is required, e.g. {"preset": "stripe"}')
        return None, {}
    name = spec["preset"]
    preset = PRESETS.get(name)
    if preset is None:
        problems.add(
            pointer(where, "preset"), f"unknown preset {name!r}{did_you_mean(name, PRESETS)}"
        )
        return None, {}
    options, option_problems = preset.resolve_options(
        {k: v for k, v in spec.items() if k not in ("preset", "mode")}
    )
    for message in option_problems:
        problems.add(where, message)
    return preset, options


def _compile_delivery_id(spec: Any, preset: Preset | None, problems: Problems) -> DeliveryIdSpec:
    where = "/delivery_id"
    if spec is None:
        spec = dict(preset.delivery_id) if preset else {}
    if spec == {}:  # the sender sends no id: the hash of the raw body is the key
        return DeliveryIdSpec()
    if not isinstance(spec, dict) or len(spec) != 1 or not {"path", "header", "each"} >= set(spec):
        problems.add(
            where,
            'delivery_id is {"path": "..."}, {"header": "..."}, {"each": "<path in each element>"}'
            " or {} (hash of the body)",
        )
        return DeliveryIdSpec()
    if "header" in spec:
        # One name, or several when the sender uses either (webhook-id / svix-id).
        names = spec["header"]
        names = (names,) if isinstance(names, str) else names
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) and n for n in names):
            names = ()
        if not names:
            problems.add(pointer(where, "header"), "header must be a header name or a list of them")
            return DeliveryIdSpec()
        return DeliveryIdSpec(headers=tuple(n.lower() for n in names))
    ((kind, text),) = spec.items()
    try:
        path = parse_path(text)
    except PathError as exc:
        problems.add(pointer(where, kind), str(exc))
        return DeliveryIdSpec()
    if path.item:
        problems.add(pointer(where, kind), "@ paths read a for_each item; use a plain path here")
        return DeliveryIdSpec()
    return DeliveryIdSpec(path=path) if kind == "path" else DeliveryIdSpec(each=path)


def compile_source(name: str, document: Any, file: str, problems: Problems) -> Source | None:
    """Compile one source document; problems are recorded with JSON pointers."""
    if not isinstance(document, dict):
        problems.add("", "a source file is a JSON object")
        return None
    for key in document:
        if key not in TOP_KEYS:
            problems.add(pointer("", key), f"unknown key {key!r}{did_you_mean(key, TOP_KEYS)}")
    preset, options = _compile_signature(document.get("signature"), problems)
    shadow = _compile_mode(document.get("signature"), problems)
    delivery_id = _compile_delivery_id(document.get("delivery_id"), preset, problems)
    rules = compile_ruleset(document, problems)
    if preset is None:
        return None
    return Source(name, file, preset, options, delivery_id, rules, shadow)


def source_files(directory: FsPath | None) -> list[tuple[str, str]]:
    """(file name, text) of every source file, sorted by name."""
    if directory is not None:
        if not directory.is_dir():
            raise ConfigurationError(f"sources directory {directory} does not exist")
        entries = [(p.name, p.read_text("utf-8")) for p in directory.glob("*.json")]
    else:
        package = resources.files("webhook_to_track.sources")
        entries = [
            (p.name, p.read_text("utf-8")) for p in package.iterdir() if p.name.endswith(".json")
        ]
    return sorted((n, t) for n, t in entries if not n.endswith(SCHEMA_SUFFIX))


def load_registry(directory: FsPath | None = None) -> Registry:
    """Compile every source file; raise one ConfigurationError listing every problem.

    Raises:
        ConfigurationError: a file is not JSON, names an unknown preset, or has rule errors.
    """
    sources: dict[str, Source] = {}
    problems: list[str] = []
    for file_name, text in source_files(directory):
        name = file_name.removesuffix(".json")
        file_problems = Problems(file_name)
        if not SOURCE_NAME.fullmatch(name):
            file_problems.add("", f"file name {name!r} is not a valid source name ([a-z0-9_-])")
        try:
            document = json.loads(text)
        except ValueError as exc:
            file_problems.add("", f"not valid JSON: {exc}")
            document = None
        source = compile_source(name, document, file_name, file_problems) if document else None
        problems.extend(file_problems.items)
        if source is not None and not file_problems:
            sources[name] = source
    if problems:
        raise ConfigurationError("invalid source files", problems=problems)
    return Registry(sources)


@lru_cache(maxsize=2)
def get_registry(directory: FsPath | None = None) -> Registry:
    """The compiled registry, once per container."""
    return load_registry(directory)
