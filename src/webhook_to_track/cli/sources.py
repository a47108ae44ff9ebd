"""``sources new | list | remove``: scaffold a sender, list the sources present, remove one with
everything that belongs to it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from webhook_to_track.cli.common import (
    CommandError,
    plural,
    registry_of,
    secrets_file_of,
    sync_env_secrets,
    table,
)
from webhook_to_track.local.golden import FIXTURES_DIR, GOLDEN_COMMAND, golden_rule_ids
from webhook_to_track.local.scaffold import (
    CASE,
    Layout,
    Scaffold,
    ScaffoldError,
    compiled,
    existing_secret,
    packaged_sources_dir,
    plan,
    remove_source,
    taken_names,
    write_scaffold,
)
from webhook_to_track.local.secrets import LocalSecretsError


def _layout(args: argparse.Namespace) -> Layout:
    return Layout(
        sources_dir=Path(args.sources_dir) if args.sources_dir else packaged_sources_dir(),
        events_dir=Path(args.events_dir),
        fixtures_dir=Path(args.fixtures_dir),
        secrets_file=secrets_file_of(args),
    )


def _shown(path: Path) -> str:
    """A path relative to the current directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _sign_samples(scaffold: Scaffold, layout: Layout) -> list[Path]:
    """events/<name>/<case>.json signed now, and a bad-signature.json, as `events` writes."""
    from webhook_to_track.cli.events import sign_samples
    from webhook_to_track.local.events import SampleChanges

    changes = SampleChanges()
    source = compiled(scaffold)
    sign_samples(
        layout.events_dir, source, scaffold.secret, int(time.time()), changes, everything=True
    )
    return list(changes.rewritten)


def command_sources_new(args: argparse.Namespace) -> int:
    layout = _layout(args)
    try:
        known = existing_secret(layout, args.name)
        scaffold = plan(args.name, args.preset, taken_names(layout), secret=known)
        written = write_scaffold(scaffold, layout)
    except (ScaffoldError, LocalSecretsError) as exc:
        raise CommandError(str(exc)) from None
    for path in written:
        note = ""
        if path == layout.secrets_file:
            note = f" (a random local test secret under sources.{scaffold.name})"
            note = " (kept the local test secret on file)" if known else note
        print(f"wrote {_shown(path)}{note}")
    for path in _sign_samples(scaffold, layout):
        print(f"wrote {_shown(path)} (signed now)")
    sync_env_secrets(args)  # last: a broken env.json leaves the scaffold whole, and says so
    _print_next_steps(scaffold, layout)
    return 0


def _print_next_steps(scaffold: Scaffold, layout: Layout) -> None:
    name = scaffold.name
    sample = _shown(layout.payload_file(scaffold))
    steps = [
        f"edit {_shown(layout.source_file(name))}: its description says what to change"
        f" (where the user id is, the rules); replace {sample} with a real payload",
        f"webhook-to-track rules try {name} {sample}",
        f"make invoke EVENT={_shown(layout.events_dir / name / f'{CASE}.json')}",
        f"once the events are right: {GOLDEN_COMMAND.format(source=name)}, then review the"
        f" golden file it writes under {FIXTURES_DIR}/{name}/",
        f"in AWS: put the sender's real secret under sources.{name} in the Secrets Manager"
        f" secret ({scaffold.preset.secret_help})",
    ]
    print("\nnext:")
    for number, step in enumerate(steps, start=1):
        print(f"  {number}. {step}")


def command_sources_list(args: argparse.Namespace) -> int:
    registry = registry_of(args)
    layout = _layout(args)
    rows = [["source", "preset", "rules", "samples", "rules with a golden file"]]
    for name, source in sorted(registry.sources.items()):
        payloads = layout.events_dir / "payloads" / name
        samples = [p for p in payloads.glob("*") if not p.name.endswith(".headers.json")]
        covered = golden_rule_ids(layout.fixtures_dir, name) & set(source.rules.rule_ids)
        rows.append(
            [
                name,
                source.preset.name,
                str(len(source.rules.rule_ids)),
                str(len(samples)),
                f"{len(covered)} of {len(source.rules.rule_ids)}",
            ]
        )
    for line in table(rows):
        print(line)
    print(plural(len(registry.sources), "source"))
    return 0


def command_sources_remove(args: argparse.Namespace) -> int:
    layout = _layout(args)
    try:
        removed = remove_source(args.name, layout)
    except (ScaffoldError, LocalSecretsError) as exc:
        raise CommandError(str(exc)) from None
    for path in removed:
        what = f" (sources.{args.name})" if path == layout.secrets_file else ""
        print(f"removed {_shown(path)}{what}")
    sync_env_secrets(args)
    print(f"the secret stays in AWS until you remove sources.{args.name} from the secrets document")
    return 0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    sources = commands.add_parser("sources", help="add, list or remove senders (source files)")
    actions = sources.add_subparsers(dest="sources_command", required=True)
    folders = argparse.ArgumentParser(add_help=False)
    folders.add_argument("--events-dir", default="events", help="(default: %(default)s)")
    folders.add_argument("--fixtures-dir", default=FIXTURES_DIR, help="(default: %(default)s)")

    new = actions.add_parser(
        "new",
        parents=[common, folders],
        help="scaffold a source file, a sample payload and a local test secret",
    )
    new.add_argument("name", help="the source name: the URL path /webhooks/<name>")
    new.add_argument("--preset", required=True, help="the sender's signature preset")
    new.set_defaults(run=command_sources_new)

    listing = actions.add_parser(
        "list", parents=[common, folders], help="every source: preset, rules, samples"
    )
    listing.set_defaults(run=command_sources_list)

    remove = actions.add_parser(
        "remove",
        parents=[common, folders],
        help="delete a source file with its samples, golden files and local test secret",
    )
    remove.add_argument("name")
    remove.set_defaults(run=command_sources_remove)
