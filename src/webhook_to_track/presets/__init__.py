"""Named signature presets a source file picks: how to verify, how to sign (for the signing lab
and tests), which options it takes, where the sender puts its delivery id, and how its body is
encoded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from webhook_to_track.presets.catalog import (
    CHARGEBEE,
    CLERK,
    FRESHDESK,
    FRESHDESK_TOKEN,
    HUBSPOT,
    HUBSPOT_V1,
    HUBSPOT_V2,
    PADDLE,
    RECURLY,
    RESEND,
    STANDARD_WEBHOOKS,
    STRIPE,
    SVIX,
    TWILIO,
    TWILIO_JSON,
)
from webhook_to_track.presets.generic import GENERIC_HMAC
from webhook_to_track.presets.hmac_senders import SENDERS
from webhook_to_track.presets.options import OptionKind, OptionSpec
from webhook_to_track.presets.preset import Preset

PRESETS: Final[Mapping[str, Preset]] = {
    preset.name: preset
    for preset in sorted(
        (
            STRIPE,
            STANDARD_WEBHOOKS,
            SVIX,
            CLERK,
            RESEND,
            HUBSPOT,
            HUBSPOT_V2,
            HUBSPOT_V1,
            TWILIO,
            TWILIO_JSON,
            CHARGEBEE,
            FRESHDESK,
            FRESHDESK_TOKEN,
            PADDLE,
            RECURLY,
            GENERIC_HMAC,
            *SENDERS,
        ),
        key=lambda p: p.name,
    )
}

__all__ = ["PRESETS", "OptionKind", "OptionSpec", "Preset"]
