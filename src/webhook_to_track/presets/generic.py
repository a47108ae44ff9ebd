"""The generic HMAC preset: a sender the catalog does not know, configured entirely in its source
file (header, hash, encoding, prefix, layout, signed-content template, timestamp, key), so adding
one needs no code. Example, for a sender signing "{timestamp}.{body}" in X-Acme-Signature:

    "signature": {"preset": "hmac", "header": "x-acme-signature", "prefix": "sha256=",
                  "template": "{timestamp}.{body}", "timestamp_header": "x-acme-timestamp"}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from webhook_to_track.presets.options import OptionSpec, choice, integer, text
from webhook_to_track.presets.preset import Preset
from webhook_to_track.signatures import Clock, HmacScheme, HmacVerifier, TimestampSpec, Verifier
from webhook_to_track.signatures.hmac_scheme import template_fields
from webhook_to_track.signatures.timestamps import TimestampUnit

_SEPARATORS: Final = {"comma": ",", "semicolon": ";", "space": " "}
_OPTIONS: Final = {
    "header": OptionSpec("header", "the header carrying the signature (required)"),
    "hash": choice("sha256", ("sha1", "sha256", "sha512"), "the HMAC's hash"),
    "encoding": choice("hex", ("hex", "base64"), "how the digest is written"),
    "prefix": text("", 'text before each signature, e.g. "sha256=" or "v1,"'),
    "layout": choice(
        "plain",
        ("plain", "list", "timestamp-first"),
        "plain: the value is one signature; list: several items split by separator; "
        "timestamp-first: <timestamp><separator><signature>[...]",
    ),
    "separator": choice("comma", tuple(_SEPARATORS), "what splits a list layout's items"),
    "template": text("{body}", "the signed content over {body} {timestamp} {id} {method} {url}"),
    "timestamp_header": text("", "the header carrying the signed timestamp, if any"),
    "timestamp_item": text("", 'the list item carrying the timestamp, e.g. "t="'),
    "timestamp_unit": choice("s", ("s", "ms", "iso"), "the timestamp's unit"),
    "tolerance_s": integer(300, 1, 86400, "accepted clock difference in seconds, both directions"),
    "id_header": text("", "the header carrying the delivery id that {id} signs"),
    "key_encoding": choice(
        "utf-8", ("utf-8", "whsec-base64"), "the secret as-is, or whsec_+base64"
    ),
    "url": text("", "the exact public URL registered with the sender, when {url} is signed"),
}


def _timestamp(options: Mapping[str, Any]) -> TimestampSpec | None:
    unit: TimestampUnit = options["timestamp_unit"]
    if options["timestamp_header"]:
        return TimestampSpec(unit=unit, headers=(options["timestamp_header"].lower(),))
    if options["timestamp_item"]:
        return TimestampSpec(unit=unit, item=options["timestamp_item"])
    if options["layout"] == "timestamp-first":
        return TimestampSpec(unit=unit)
    return None


def scheme_of(options: Mapping[str, Any]) -> HmacScheme:
    """The HmacScheme the options describe (raises ValueError when they contradict)."""
    id_header = options["id_header"].lower()
    return HmacScheme(
        signature_headers=(options["header"],),
        template=options["template"],
        hash=options["hash"],
        encoding=options["encoding"],
        prefix=options["prefix"],
        layout=options["layout"],
        separator=_SEPARATORS[options["separator"]],
        timestamp=_timestamp(options),
        id_headers=(id_header,) if id_header else (),
        key_encoding=options["key_encoding"],
        tolerance_s=options["tolerance_s"],
        lab_ids=((id_header, "uuid"),) if id_header else (),
    )


def _problems(options: Mapping[str, Any]) -> list[str]:
    try:
        scheme = scheme_of(options)
    except ValueError as exc:
        return [f"the hmac options do not fit together: {exc}"]
    if "url" in template_fields(scheme.template) and not options["url"].startswith("https://"):
        return ["url must be the https URL registered with the sender: the template signs {url}"]
    return []


def _verifier(secrets: Sequence[str], options: Mapping[str, Any], clock: Clock) -> Verifier:
    return HmacVerifier(
        scheme_of(options),
        secrets,
        tolerance_s=options["tolerance_s"],
        url=options["url"],
        clock=clock,
    )


def _headers(body: bytes, secret: str, ts: int, options: Mapping[str, Any]) -> dict[str, str]:
    return scheme_of(options).sign(body, secret, ts, url=options["url"])


_KEY_HELP: Final = "the signing secret the sender shows you (used as-is, or whsec_+base64)"
GENERIC_HMAC: Final = Preset(
    name="hmac",
    summary="any HMAC scheme, described by options in the source file",
    secret_help=_KEY_HELP,
    make_verifier=_verifier,
    make_headers=_headers,
    options=_OPTIONS,
    check_options=_problems,
)
