"""Turn a signature scheme into a Preset: its options, verifier factory and signing function."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from webhook_to_track.delivery import BodyFormat
from webhook_to_track.presets.options import OptionSpec, header, integer, url
from webhook_to_track.presets.preset import DeliveryIdDefault, Preset
from webhook_to_track.signatures import (
    BasicAuthVerifier,
    Clock,
    HmacScheme,
    HmacVerifier,
    SharedTokenVerifier,
    Verifier,
)
from webhook_to_track.signatures.hmac_scheme import template_fields

URL_HELP: Final = (
    "the exact public URL registered with the sender, e.g. "
    "https://<api-id>.execute-api.<region>.amazonaws.com/webhooks/<source>"
)
Adapt = Callable[[HmacScheme, Mapping[str, Any]], HmacScheme]


def tolerance(default: int) -> OptionSpec:
    return integer(default, 1, 86400, "accepted clock difference in seconds, both directions")


def _same_scheme(scheme: HmacScheme, options: Mapping[str, Any]) -> HmacScheme:
    return scheme


def _same_url(value: str) -> str:
    return value


def hmac_preset(
    name: str,
    scheme: HmacScheme,
    *,
    summary: str,
    key_help: str,
    user_agent: str,
    delivery_id: DeliveryIdDefault | None = None,
    body_format: BodyFormat = "json",
    content_type: str = "application/json",
    extra_headers: Mapping[str, str] | None = None,
    extra_options: Mapping[str, OptionSpec] | None = None,
    adapt: Adapt = _same_scheme,
    signed_url: Callable[[str], str] = _same_url,
) -> Preset:
    """A preset over the HMAC engine. A timestamped scheme gets a ``tolerance_s`` option, a
    scheme that signs the URL a required ``url`` option (``signed_url`` rewrites it first, as
    HubSpot's partial decoding does); ``adapt`` applies the other options to the scheme."""
    options: dict[str, OptionSpec] = {}
    if scheme.timestamp is not None:
        options["tolerance_s"] = tolerance(scheme.tolerance_s)
    if "url" in template_fields(scheme.template):
        options["url"] = url(URL_HELP)
    options.update(extra_options or {})
    extra = dict(extra_headers or {})

    def make_verifier(secrets: Sequence[str], opts: Mapping[str, Any], clock: Clock) -> Verifier:
        return HmacVerifier(
            adapt(scheme, opts),
            secrets,
            tolerance_s=opts.get("tolerance_s"),
            url=signed_url(opts.get("url", "")),
            clock=clock,
        )

    def make_headers(
        body: bytes, secret: str, timestamp: int, opts: Mapping[str, Any]
    ) -> dict[str, str]:
        signed = adapt(scheme, opts).sign(
            body, secret, timestamp, url=signed_url(opts.get("url", ""))
        )
        return {**extra, **signed}

    return Preset(
        name=name,
        summary=summary,
        secret_help=key_help,
        make_verifier=make_verifier,
        make_headers=make_headers,
        options=options,
        delivery_id=delivery_id or {},
        body_format=body_format,
        content_type=content_type,
        user_agent=user_agent,
    )


def basic_auth_preset(
    name: str, *, summary: str, key_help: str, user_agent: str, delivery_id: DeliveryIdDefault
) -> Preset:
    """A sender that does not sign but sends HTTP Basic credentials (secret: user:password)."""

    def make_verifier(secrets: Sequence[str], opts: Mapping[str, Any], clock: Clock) -> Verifier:
        return BasicAuthVerifier(secrets)

    def make_headers(
        body: bytes, secret: str, timestamp: int, opts: Mapping[str, Any]
    ) -> dict[str, str]:
        return BasicAuthVerifier.sign(secret)

    return Preset(
        name=name,
        summary=summary,
        secret_help=key_help,
        make_verifier=make_verifier,
        make_headers=make_headers,
        delivery_id=delivery_id,
        user_agent=user_agent,
    )


def shared_token_preset(
    name: str, *, default_header: str, summary: str, key_help: str, user_agent: str
) -> Preset:
    """A sender that does not sign but sends a secret in a header the user names."""

    def make_verifier(secrets: Sequence[str], opts: Mapping[str, Any], clock: Clock) -> Verifier:
        return SharedTokenVerifier(secrets, opts["header"])

    def make_headers(
        body: bytes, secret: str, timestamp: int, opts: Mapping[str, Any]
    ) -> dict[str, str]:
        return SharedTokenVerifier.sign(secret, opts["header"])

    return Preset(
        name=name,
        summary=summary,
        secret_help=key_help,
        make_verifier=make_verifier,
        make_headers=make_headers,
        options={"header": header(default_header, "the header carrying the shared secret")},
        user_agent=user_agent,
    )
