"""``events``: every sample payload under events/payloads/ signed into events/, rewriting only
the samples that changed; samples whose payload is gone are removed."""

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
    sync_env_secrets,
)
from webhook_to_track.errors import SignatureError
from webhook_to_track.local.events import (
    SampleChanges,
    event_body,
    is_sample_payload,
    same_event,
    signed_at,
    write_json_if_changed,
)
from webhook_to_track.local.golden import NOT_SOURCES
from webhook_to_track.registry import Registry, Source
from webhook_to_track.settings import NO_TIMESTAMP_LIMIT

BAD_SIGNING_KEY: Final = "whsec_not_the_configured_secret"
BAD_SIGNATURE_EVENT: Final = "bad-signature.json"


def command_events(args: argparse.Namespace) -> int:
    """Sign every payload under events/payloads/<source>/ into events/<source>/, keeping the
    samples that are still right (unless --all)."""
    registry = registry_of(args)
    _, environment = local_environment(args)
    sync_env_secrets(args)  # env.json's SECRETS_JSON, generated from events/local-secrets.json
    events_dir = Path(args.events_dir)
    now = int(time.time())
    changes = SampleChanges()
    skipped: set[str] = set()
    for payload_dir in sorted(p for p in (events_dir / "payloads").iterdir() if p.is_dir()):
        source = registry.sources.get(payload_dir.name)
        if source is None:  # its source file was deleted: its samples are left as they are
            print(f"skipped {payload_dir}/: no source named {payload_dir.name!r}")
            skipped.add(payload_dir.name)
            continue
        secret = signing_secret(environment, source.name)
        sign_samples(events_dir, source, secret, now, changes, everything=args.all)
    _remove_orphans(events_dir, skipped, changes)
    from webhook_to_track.local.events import write_forwarder_samples

    write_forwarder_samples(events_dir, registry, changes)
    _report(events_dir, registry, changes)
    return 0


def sign_samples(
    events_dir: Path,
    source: Source,
    secret: str,
    now: int,
    changes: SampleChanges,
    *,
    everything: bool = False,
) -> None:
    """Sign events/payloads/<source>/* into events/<source>/ (and its bad-signature sample);
    unless ``everything``, a sample that is still right is kept as it is."""
    payload_dir = events_dir / "payloads" / source.name
    for path, payload, key in _samples(events_dir, source, payload_dir, secret):
        body, extra = read_payload(payload)
        if not everything and _still_right(path, source, (body, extra), key, secret):
            changes.unchanged.append(path)
        else:
            write_json_if_changed(path, signed_event(source, body, key, now, extra), changes)


def _samples(
    events_dir: Path, source: Source, payload_dir: Path, secret: str
) -> list[tuple[Path, Path, str]]:
    """(sample event file, its payload, the key it is signed with) of one source."""
    # Any file: JSON senders' samples are .json, form senders' are .form (raw bodies).
    payloads = sorted(p for p in payload_dir.iterdir() if is_sample_payload(p))
    samples = [(events_dir / source.name / f"{p.stem}.json", p, secret) for p in payloads]
    if payloads:  # the same first payload, signed with a secret nobody configured: a 401
        samples.append(
            (events_dir / source.name / BAD_SIGNATURE_EVENT, payloads[0], BAD_SIGNING_KEY)
        )
    return samples


def _still_right(
    path: Path, source: Source, payload: tuple[bytes, dict[str, str]], key: str, secret: str
) -> bool:
    """Whether the sample on file is what this command would write but for its time: the
    payload's exact bytes, the same event and headers apart from the signature, and a
    signature that the current local secret verifies, whatever its age (for the
    bad-signature sample: the same bad signature)."""
    existing = _read_event(path)
    moment = signed_at(existing) if existing is not None else None
    if existing is None or moment is None:
        return False
    body, extra = payload
    expected = signed_event(source, body, key, moment, extra)
    signature = source.sign(body, key, moment)
    if event_body(existing) != body or not same_event(existing, expected, signature):
        return False
    headers = existing["headers"]
    if key != secret:
        return all(headers.get(name) == value for name, value in signature.items())
    try:
        source.verifier([secret], NO_TIMESTAMP_LIMIT).verify(body, headers)
    except SignatureError:
        return False
    return True


def _read_event(path: Path) -> dict[str, Any] | None:
    try:
        event = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(event, dict) or not isinstance(event.get("headers"), dict):
        return None
    return event


def _remove_orphans(events_dir: Path, skipped: set[str], changes: SampleChanges) -> None:
    """Remove each sample event whose payload is gone (an empty folder with it)."""
    kept = set(changes.unchanged) | set(changes.rewritten)
    folders = (p for p in events_dir.iterdir() if p.is_dir() and p.name not in NOT_SOURCES)
    for folder in sorted(f for f in folders if f.name not in skipped):
        for path in sorted(folder.glob("*.json")):
            event = _read_event(path)
            made_here = event is not None and event.get("pathParameters") == {"source": folder.name}
            if path not in kept and made_here:  # a file of another kind is not ours to remove
                path.unlink()
                changes.removed.append(path)
        if not any(folder.iterdir()):
            folder.rmdir()


def _report(events_dir: Path, registry: Registry, changes: SampleChanges) -> None:
    for path in changes.rewritten:
        print(f"rewrote {path}")
    for path in changes.removed:
        print(f"removed {path} (its payload under {events_dir}/payloads/ is gone)")
    print(
        f"{events_dir}/: {len(changes.rewritten)} rewritten, {len(changes.unchanged)} unchanged,"
        f" {len(changes.removed)} removed"
    )
    if changes.rewritten:
        print(
            f"The rewritten samples are valid for {_tolerance_note(registry)}; sam local and"
            " invoke take older ones too, as env.json sets LOCAL_SIGNATURE_TOLERANCE_SECONDS=off."
        )


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
        "events",
        parents=[common],
        help="sign events/payloads/* into events/, rewriting only the samples that changed",
    )
    events.add_argument("--events-dir", default="events")
    events.add_argument(
        "--all", action="store_true", help="re-sign every sample now, changed or not"
    )
    events.set_defaults(run=command_events)
