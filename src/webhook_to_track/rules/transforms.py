"""The closed set of named transforms a value spec may chain. No code, no regular expressions.

A transform is written as a name (``"lowercase"``) or a one-key object with its argument
(``{"cents_to_amount": {"currency_path": "data.object.currency"}}``). Compilation checks names and
arguments once; at run time a transform that cannot apply returns MISSING (the field's
``default`` then applies) instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from webhook_to_track.rules.paths import MISSING, PathError, parse_path
from webhook_to_track.rules.problems import Problems, did_you_mean, pointer

Transform = Callable[[Any, Any], Any]
"""(value, payload) -> value or MISSING. Never called with MISSING."""

# ISO 4217 currencies whose minor unit is not 1/100, as Stripe, Paddle and Chargebee count them.
ZERO_DECIMAL: Final = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
THREE_DECIMAL: Final = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
_MAX_EPOCH_S: Final = 253402300799  # 9999-12-31T23:59:59Z


def _lowercase(value: Any, _: Any) -> Any:
    return value.lower() if isinstance(value, str) else MISSING


def _uppercase(value: Any, _: Any) -> Any:
    return value.upper() if isinstance(value, str) else MISSING


def _trim(value: Any, _: Any) -> Any:
    return value.strip() if isinstance(value, str) else MISSING


def _to_string(value: Any, _: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return MISSING


def _to_number(value: Any, _: Any) -> Any:
    if isinstance(value, bool):
        return MISSING
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return MISSING
        if not math.isfinite(number):
            return MISSING
        return int(number) if number.is_integer() and "." not in value else number
    return MISSING


def _to_int(value: Any, payload: Any) -> Any:
    number = _to_number(value, payload)
    return int(number) if isinstance(number, int | float) else MISSING


def _epoch_to_iso(divisor: int) -> Transform:
    def transform(value: Any, payload: Any) -> Any:
        number = _to_number(value, payload)
        if not isinstance(number, int | float) or not 0 <= number / divisor <= _MAX_EPOCH_S:
            return MISSING
        moment = datetime.fromtimestamp(number / divisor, tz=UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return transform


def _minor_to_amount(value: Any, exponent: int) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MISSING
    if exponent == 0:
        return value
    return value / 10**exponent


def _cents_to_amount(arg: Any, where: str, problems: Problems) -> Transform | None:
    if arg is None:
        arg = {}
    if not isinstance(arg, dict) or set(arg) - {"currency_path", "exponent"}:
        problems.add(where, "cents_to_amount takes {currency_path} or {exponent}")
        return None
    exponent = arg.get("exponent", 2)
    if isinstance(exponent, bool) or not isinstance(exponent, int) or not 0 <= exponent <= 4:
        problems.add(pointer(where, "exponent"), "exponent must be an integer from 0 to 4")
        return None
    if "currency_path" not in arg:
        return lambda value, _: _minor_to_amount(value, exponent)
    try:
        currency = parse_path(arg["currency_path"])
    except PathError as exc:
        problems.add(pointer(where, "currency_path"), str(exc))
        return None

    def transform(value: Any, payload: Any) -> Any:
        code = currency.get(payload)
        code = code.lower() if isinstance(code, str) else ""
        digits = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else exponent
        return _minor_to_amount(value, digits)

    return transform


SIMPLE: Final[Mapping[str, Transform]] = {
    "lowercase": _lowercase,
    "uppercase": _uppercase,
    "trim": _trim,
    "to_string": _to_string,
    "to_number": _to_number,
    "to_int": _to_int,
    "unix_to_iso": _epoch_to_iso(1),
    "unix_ms_to_iso": _epoch_to_iso(1000),
}
WITH_ARGUMENT: Final[Mapping[str, Callable[[Any, str, Problems], Transform | None]]] = {
    "cents_to_amount": _cents_to_amount,
}
NAMES: Final = frozenset(SIMPLE) | frozenset(WITH_ARGUMENT)
MAX_CHAIN: Final = 10


def compile_transform(spec: Any, where: str, problems: Problems) -> Transform | None:
    """One transform from its name or one-key object; problems are recorded, not raised."""
    if isinstance(spec, str):
        name, arg, has_arg = spec, None, False
    elif isinstance(spec, dict) and len(spec) == 1:
        ((name, arg),) = spec.items()
        has_arg = True
    else:
        problems.add(where, 'a transform is a name or a one-key object like {"name": argument}')
        return None
    if name in SIMPLE:
        if has_arg:
            problems.add(where, f"transform {name!r} takes no argument; write it as a string")
            return None
        return SIMPLE[name]
    if name in WITH_ARGUMENT:
        return WITH_ARGUMENT[name](arg, pointer(where, name) if has_arg else where, problems)
    problems.add(where, f"unknown transform {name!r}{did_you_mean(name, NAMES)}")
    return None


def compile_chain(specs: Any, where: str, problems: Problems) -> tuple[Transform, ...]:
    if not isinstance(specs, list):
        problems.add(where, "transform must be a list of transforms, applied in order")
        return ()
    if len(specs) > MAX_CHAIN:
        problems.add(where, f"at most {MAX_CHAIN} transforms per value")
    compiled = [compile_transform(s, pointer(where, i), problems) for i, s in enumerate(specs)]
    return tuple(t for t in compiled if t is not None)
