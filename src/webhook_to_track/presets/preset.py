"""A named preset: how one sender's deliveries are verified, signed, identified and parsed."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from webhook_to_track.delivery import BodyFormat
from webhook_to_track.errors import ConfigurationError
from webhook_to_track.presets.handshakes import Handshake
from webhook_to_track.presets.options import OptionSpec
from webhook_to_track.rules.problems import did_you_mean
from webhook_to_track.signatures import Clock, Verifier

MakeVerifier = Callable[[Sequence[str], Mapping[str, Any], Clock], Verifier]
MakeHeaders = Callable[[bytes, str, int, Mapping[str, Any]], dict[str, str]]
# {"path": "<dotted path>"}, {"header": "<name>" or (names...)}, {"each": "<path in each
# element of an array body>"}, or {} for the body hash.
DeliveryIdDefault = Mapping[str, str | tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Preset:
    """One sender's scheme. ``make_verifier``/``make_headers`` receive resolved options; call
    ``build``/``sign``, which resolve them first."""

    name: str
    summary: str  # the scheme in one line, for the README table
    secret_help: str  # where the secret is in the sender's UI, and its format
    make_verifier: MakeVerifier
    make_headers: MakeHeaders
    options: Mapping[str, OptionSpec] = field(default_factory=dict)
    delivery_id: DeliveryIdDefault = field(default_factory=dict)
    body_format: BodyFormat = "json"
    content_type: str = "application/json"
    user_agent: str = "webhook-to-track-signing-lab"
    handshake: Handshake | None = None  # a setup request answered with a challenge
    # The status of an accepted delivery: 202, except for senders that count only 200 as
    # success (Lemon Squeezy, Maxio, Chargebee) and would otherwise retry and flag failures.
    accepted_status: int = 202
    # Problems between options (each valid alone), e.g. the generic scheme's template.
    check_options: Callable[[Mapping[str, Any]], list[str]] | None = None

    def resolve_options(self, given: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Defaults filled in, with one problem per unknown, missing or invalid option."""
        problems: list[str] = []
        for name in given:
            if name not in self.options:
                hint = did_you_mean(name, self.options) if self.options else " (it takes none)"
                problems.append(f"unknown option {name!r} for preset {self.name!r}{hint}")
        resolved: dict[str, Any] = {}
        for name, spec in self.options.items():
            if name not in given and spec.required:
                problems.append(f"{name} is required for preset {self.name!r}: {spec.help}")
                continue
            value, problem = spec.check(name, given.get(name, spec.default))
            if problem:
                problems.append(problem)
            if value is not None:
                resolved[name] = value
        if not problems and self.check_options is not None:
            problems.extend(self.check_options(resolved))
        return resolved, problems

    def build(
        self,
        secrets: Sequence[str],
        options: Mapping[str, Any] | None = None,
        *,
        clock: Clock = time.time,
    ) -> Verifier:
        """A verifier over ``secrets`` (they rotate, so one is built per request).

        Raises:
            NoSecretError: no secret is usable (fail closed).
            ConfigurationError: the options are invalid (the registry reports them earlier).
        """
        return self.make_verifier(secrets, self._options(options), clock)

    def sign(
        self,
        body: bytes,
        secret: str,
        timestamp: int,
        options: Mapping[str, Any] | None = None,
    ) -> dict[str, str]:
        """The headers (lowercase names) the sender would send with ``body`` at ``timestamp``.

        Raises:
            ConfigurationError: the options are invalid.
        """
        return self.make_headers(body, secret, timestamp, self._options(options))

    def _options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        resolved, problems = self.resolve_options(options or {})
        if problems:
            raise ConfigurationError(f"invalid options for preset {self.name!r}", problems)
        return resolved
