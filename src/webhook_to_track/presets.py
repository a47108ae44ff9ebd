"""Named signature presets a source file picks: how to verify, how to sign (for the signing lab
and tests), which options it takes, and where the sender puts its delivery id."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.signatures import StripeVerifier, Verifier


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """An integer option with bounds; presets so far need nothing richer."""

    default: int
    low: int
    high: int
    help: str


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    options: Mapping[str, OptionSpec]
    delivery_id: Mapping[str, str]
    build: Callable[[Sequence[str], Mapping[str, Any]], Verifier]
    sign: Callable[[bytes, str, int], dict[str, str]]
    content_type: str = "application/json"
    user_agent: str = "webhook-to-track-signing-lab"

    def resolve_options(self, given: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Defaults filled in, with one problem per unknown or out-of-range option."""
        problems = [
            f"unknown option {k!r} for preset {self.name!r}" for k in given if k not in self.options
        ]
        resolved: dict[str, Any] = {}
        for name, spec in self.options.items():
            value = given.get(name, spec.default)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not spec.low <= value <= spec.high
            ):
                problems.append(f"{name} must be an integer from {spec.low} to {spec.high}")
                value = spec.default
            resolved[name] = value
        return resolved, problems


def _stripe_verifier(secrets: Sequence[str], options: Mapping[str, Any]) -> Verifier:
    return StripeVerifier(secrets, tolerance_s=int(options["tolerance_s"]))


STRIPE: Final = Preset(
    name="stripe",
    options={
        "tolerance_s": OptionSpec(
            StripeVerifier.DEFAULT_TOLERANCE, 1, 86400, "accepted clock difference, both directions"
        )
    },
    delivery_id={"path": "id"},
    build=_stripe_verifier,
    sign=StripeVerifier.sign,
    content_type="application/json; charset=utf-8",
    user_agent="Stripe/1.0 (+https://stripe.com/docs/webhooks)",
)

PRESETS: Final[Mapping[str, Preset]] = {preset.name: preset for preset in (STRIPE,)}
