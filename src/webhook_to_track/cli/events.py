"""``events``: every sample payload under events/payloads/ re-signed into events/."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Final

from webhook_to_track.cli.common import (
    local_environment,
    read_payload,
    registry_of,
    signed_event,
    signing_secret,
    source_named,
)
from webhook_to_track.local.events import is_sample_payload
from webhook_to_track.registry import Registry

BAD_SIGNING_KEY: Final = "whsec_not_the_configured_secret"
BAD_SIGNATURE_EVENT: Final = "bad-signature.json"


def _write_event(path: Path, event: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", "utf-8")


def command_events(args: argparse.Namespace) -> int:
    """Re-sign every payload under events/payloads/<source>/ into events/<source>/."""
    registry = registry_of(args)
    _, environment = local_environment(args)
    events_dir = Path(args.events_dir)
    now = int(time.time())
    written = 0
    for payload_dir in sorted(p for p in (events_dir / "payloads").iterdir() if p.is_dir()):
        source = source_named(registry, payload_dir.name)
        secret = signing_secret(environment, source.name)
        # Any file: JSON senders' samples are .json, form senders' are .form (raw bodies).
        payloads = sorted(p for p in payload_dir.iterdir() if is_sample_payload(p))
        for payload in payloads:
            event = signed_event(source, *_signed_parts(payload, secret, now))
            _write_event(events_dir / source.name / f"{payload.stem}.json", event)
            written += 1
        if payloads:  # the same first payload, signed with a secret nobody configured: a 401
            event = signed_event(source, *_signed_parts(payloads[0], BAD_SIGNING_KEY, now))
            _write_event(events_dir / source.name / BAD_SIGNATURE_EVENT, event)
            written += 1
    print(
        f"wrote {written} signed events under {events_dir}/ (valid for {_tolerance_note(registry)})"
    )
    from webhook_to_track.local.events import write_forwarder_samples

    for path in write_forwarder_samples(events_dir, registry):
        print(f"wrote {path} (SQS event for sam local invoke ForwarderFunction)")
    return 0


def _signed_parts(payload: Path, secret: str, now: int) -> tuple[bytes, str, int, dict[str, str]]:
    body, extra = read_payload(payload)
    return body, secret, now, extra


def _tolerance_note(registry: Registry) -> str:
    """How long the freshly signed samples stay valid: the shortest tolerance wins."""
    tolerances = sorted(
        (int(s.options["tolerance_s"]), s.name)
        for s in registry.sources.values()
        if "tolerance_s" in s.options
    )
    if not tolerances:
        return "ever: no timestamp is signed"
    (shortest, name), longest = tolerances[0], tolerances[-1][0]
    return f"{shortest} s for {name}, up to {longest} s for the others"


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    events = commands.add_parser(
        "events", parents=[common], help="re-sign events/payloads/* into events/"
    )
    events.add_argument("--events-dir", default="events")
    events.set_defaults(run=command_events)
