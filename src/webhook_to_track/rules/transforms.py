"""The closed set of named transforms a value spec may chain. No code, no regular expressions.

A transform is written as a name (``"lowercase"``) or a one-key object with its argument
(``{"truncate": 200}``, ``{"cents_to_amount": {"currency_path": "data.object.currency"}}``).
Compilation checks names and arguments once. At run time a transform never raises: it returns
its result, MISSING (``first`` of an empty array) or FAILED (the value cannot be converted).

=================  ============================================  =================================
transform          argument                                      result
=================  ============================================  =================================
lowercase          -                                             string, lower-cased
uppercase          -                                             string, upper-cased
trim               -                                             string without outer whitespace
truncate           n, 1..1024                                    string cut to n characters
replace            {"from": text, "to": text} (literal)          every occurrence replaced
to_string          -                                             "true"/"false", "12", "1.5"
to_number          -                                             int or float from a number/text
to_int             -                                             int (toward zero)
to_bool            -                                             true/false from bool, 0/1, text
round              n, 0..10                                      number rounded to n decimals
unix_to_iso        -                                             "2024-08-20T12:00:03.000Z"
unix_ms_to_iso     -                                             same, from epoch milliseconds
iso_to_unix        -                                             epoch seconds (int)
iso_to_unix_ms     -                                             epoch milliseconds (int)
cents_to_amount    {"currency_path"?: path, "exponent"?: 0..4}   minor units -> amount
map                {"table": {...}, "default"?: primitive}       lookup table
join               separator (default ",")                       array of primitives -> text
first              -                                             first item of an array
count              -                                             length of an array/object/text
json               -                                             compact JSON text
=================  ============================================  =================================
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from webhook_to_track.rules.paths import MISSING, Path, PathError, Sentinel, parse_path
from webhook_to_track.rules.problems import Problems, did_you_mean, pointer

FAILED: Final = Sentinel("FAILED")
"""A transform could not apply to its value (distinct from MISSING and null)."""

Function = Callable[[Any, Any, Any], Any]
"""(value, root payload, current item) -> value, MISSING or FAILED. Never called with MISSING
or None, never raises."""


@dataclass(frozen=True, slots=True)
class Transform:
    """A compiled transform. ``outputs`` lists every possible result when that set is finite
    whatever the input (``map``); ``paths`` are what it reads besides the value
    (``cents_to_amount`` with ``currency_path``)."""

    name: str
    apply: Function
    paths: tuple[Path, ...] = ()
    outputs: tuple[Any, ...] | None = None


# ISO 4217 currencies whose minor unit is not 1/100, as Stripe, Paddle and Chargebee count them.
ZERO_DECIMAL: Final = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
THREE_DECIMAL: Final = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
MAX_CHAIN: Final = 10
MAX_TRUNCATE: Final = 1024
MAX_REPLACE_ARG: Final = 100
MAX_TEXT_WORK: Final = 65_536
"""replace gives up (FAILED) rather than build a string longer than this."""
MAX_TABLE: Final = 1000
MAX_SEPARATOR: Final = 10
_MAX_EPOCH_S: Final = 253402300799  # 9999-12-31T23:59:59Z
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_TRUE: Final = frozenset({"true", "1", "yes", "y", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "n", "off"})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def text_of(value: Any) -> str | None:
    """How a primitive reads as text (templates, to_string, map keys, join); None otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def parse_number(text: str) -> int | float | None:
    """A decimal number written as JSON writes it (surrounding whitespace allowed)."""
    text = text.strip()
    if len(text) > 64 or not _NUMBER.fullmatch(text):
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    number = float(text)
    return number if math.isfinite(number) else None


# --- text -------------------------------------------------------------------------------------


def _lowercase(value: Any, root: Any, item: Any) -> Any:
    return value.lower() if isinstance(value, str) else FAILED


def _uppercase(value: Any, root: Any, item: Any) -> Any:
    return value.upper() if isinstance(value, str) else FAILED


def _trim(value: Any, root: Any, item: Any) -> Any:
    return value.strip() if isinstance(value, str) else FAILED


# --- types ------------------------------------------------------------------------------------


def _to_string(value: Any, root: Any, item: Any) -> Any:
    text = text_of(value)
    return FAILED if text is None else text


def _to_number(value: Any, root: Any, item: Any) -> Any:
    if isinstance(value, bool):
        return FAILED
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else FAILED
    if isinstance(value, str):
        number = parse_number(value)
        return FAILED if number is None else number
    return FAILED


def _to_int(value: Any, root: Any, item: Any) -> Any:
    number = _to_number(value, root, item)
    return int(number) if number is not FAILED else FAILED


def _to_bool(value: Any, root: Any, item: Any) -> Any:
    if isinstance(value, bool):
        return value
    if _is_number(value):
        return bool(value) if value in (0, 1) else FAILED
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else FAILED
    return FAILED


# --- time -------------------------------------------------------------------------------------


def _iso_from_epoch(seconds: Any, divisor: int) -> Any:
    if seconds.__class__ is int:
        whole, fraction = divmod(seconds, divisor)
        if not 0 <= whole <= _MAX_EPOCH_S:
            return FAILED
        milliseconds = fraction * 1000 // divisor
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{milliseconds:03d}Z"
    if not 0 <= seconds / divisor <= _MAX_EPOCH_S:
        return FAILED
    moment = datetime.fromtimestamp(seconds / divisor, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _epoch_to_iso(divisor: int) -> Function:
    def transform(value: Any, root: Any, item: Any) -> Any:
        number = _to_number(value, root, item)
        return FAILED if number is FAILED else _iso_from_epoch(number, divisor)

    return transform


def _iso_to_epoch(per_second: int) -> Function:
    unit = timedelta(seconds=1) / per_second

    def transform(value: Any, root: Any, item: Any) -> Any:
        if not isinstance(value, str) or len(value) > 64:
            return FAILED
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return FAILED
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (moment - _EPOCH) // unit

    return transform


# --- arrays and encoding ----------------------------------------------------------------------


def _first(value: Any, root: Any, item: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else MISSING
    return value


def _count(value: Any, root: Any, item: Any) -> Any:
    return len(value) if isinstance(value, list | dict | str) else FAILED


def json_text(value: Any) -> str:
    """Compact JSON for values that cannot stay nested (keys sorted, so stable).

    Raises:
        ValueError, TypeError, RecursionError: the value is not JSON (NaN, a set, too deep).
    """
    return json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, sort_keys=True, allow_nan=False
    )


def _json(value: Any, root: Any, item: Any) -> Any:
    try:
        return json_text(value)
    except (ValueError, TypeError, RecursionError):
        return FAILED


SIMPLE: Final[Mapping[str, Function]] = {
    "lowercase": _lowercase,
    "uppercase": _uppercase,
    "trim": _trim,
    "to_string": _to_string,
    "to_number": _to_number,
    "to_int": _to_int,
    "to_bool": _to_bool,
    "unix_to_iso": _epoch_to_iso(1),
    "unix_ms_to_iso": _epoch_to_iso(1000),
    "iso_to_unix": _iso_to_epoch(1),
    "iso_to_unix_ms": _iso_to_epoch(1000),
    "first": _first,
    "count": _count,
    "json": _json,
}


# --- transforms with an argument --------------------------------------------------------------


def _minor_to_amount(value: Any, exponent: int) -> Any:
    if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
        return FAILED
    if exponent == 0:
        return value
    return value / 10**exponent


def _currency_digits(currency: Path, exponent: int) -> Function:
    read = currency.read

    def transform(value: Any, root: Any, item: Any) -> Any:
        code = read(root, item)
        code = code.lower() if isinstance(code, str) else ""
        digits = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else exponent
        return _minor_to_amount(value, digits)

    return transform


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
        return Transform("cents_to_amount", lambda value, *_: _minor_to_amount(value, exponent))
    try:
        currency = parse_path(arg["currency_path"])
    except PathError as exc:
        problems.add(pointer(where, "currency_path"), str(exc))
        return None
    return Transform("cents_to_amount", _currency_digits(currency, exponent), paths=(currency,))


def _int_argument(name: str, arg: Any, low: int, high: int, where: str, problems: Problems) -> int:
    if isinstance(arg, bool) or not isinstance(arg, int) or not low <= arg <= high:
        problems.add(where, f"{name} takes an integer from {low} to {high}")
        return -1
    return arg


def _truncate(arg: Any, where: str, problems: Problems) -> Transform | None:
    size = _int_argument("truncate", arg, 1, MAX_TRUNCATE, where, problems)
    if size < 0:
        return None
    return Transform(
        "truncate", lambda value, *_: value[:size] if isinstance(value, str) else FAILED
    )


def _round(arg: Any, where: str, problems: Problems) -> Transform | None:
    digits = _int_argument("round", arg, 0, 10, where, problems)
    if digits < 0:
        return None

    def transform(value: Any, root: Any, item: Any) -> Any:
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            return FAILED
        return round(value) if digits == 0 else round(value, digits)

    return Transform("round", transform)


def _replace(arg: Any, where: str, problems: Problems) -> Transform | None:
    old, new = (arg.get("from"), arg.get("to")) if isinstance(arg, dict) else (None, None)
    if (
        not isinstance(arg, dict)
        or set(arg) != {"from", "to"}
        or not isinstance(old, str)
        or not isinstance(new, str)
        or not 1 <= len(old) <= MAX_REPLACE_ARG
        or len(new) > MAX_REPLACE_ARG
    ):
        problems.add(
            where,
            f'replace takes {{"from": "text", "to": "text"}} (literal text, "from" 1 to'
            f' {MAX_REPLACE_ARG} characters, "to" at most {MAX_REPLACE_ARG})',
        )
        return None
    growth = len(new) - len(old)

    def transform(value: Any, root: Any, item: Any) -> Any:
        text = text_of(value)
        if text is None:
            return FAILED
        if growth > 0 and len(text) + text.count(old) * growth > MAX_TEXT_WORK:
            return FAILED
        return text.replace(old, new)

    return Transform("replace", transform)


def _map(arg: Any, where: str, problems: Problems) -> Transform | None:
    table = arg.get("table") if isinstance(arg, dict) else None
    if not isinstance(arg, dict) or set(arg) - {"table", "default"} or not isinstance(table, dict):
        problems.add(where, 'map takes {"table": {"value": "result", ...}, "default"?: primitive}')
        return None
    if not 1 <= len(table) <= MAX_TABLE:
        problems.add(pointer(where, "table"), f"a table has 1 to {MAX_TABLE} entries")
        return None
    bad = [key for key, result in table.items() if not _is_primitive(result)]
    for key in bad:
        problems.add(pointer(where, "table", key), "table results must be JSON primitives")
    default = arg.get("default", FAILED)
    if default is not FAILED and not _is_primitive(default):
        problems.add(pointer(where, "default"), "default must be a JSON primitive")
        return None
    if bad:
        return None
    lookup = dict(table)

    def transform(value: Any, root: Any, item: Any) -> Any:
        key = text_of(value)
        return FAILED if key is None else lookup.get(key, default)

    outputs = tuple(lookup.values()) + (() if default is FAILED else (default,))
    return Transform("map", transform, outputs=outputs)


def _join(arg: Any, where: str, problems: Problems) -> Transform | None:
    separator = "," if arg is None else arg
    if not isinstance(separator, str) or len(separator) > MAX_SEPARATOR:
        problems.add(where, f"join takes a separator of at most {MAX_SEPARATOR} characters")
        return None

    def transform(value: Any, root: Any, item: Any) -> Any:
        if not isinstance(value, list):
            return FAILED
        parts: list[str] = []
        for member in value:
            text = None if member is None else text_of(member)
            if text is None:
                if member is None:
                    continue
                return FAILED
            parts.append(text)
        return separator.join(parts)

    return Transform("join", transform)


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


WITH_ARGUMENT: Final[Mapping[str, Callable[[Any, str, Problems], Transform | None]]] = {
    "cents_to_amount": _cents_to_amount,
    "truncate": _truncate,
    "round": _round,
    "replace": _replace,
    "map": _map,
    "join": _join,
}
OPTIONAL_ARGUMENT: Final = frozenset({"cents_to_amount", "join"})
NAMES: Final = tuple(SIMPLE) + tuple(WITH_ARGUMENT)


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
        return Transform(name, SIMPLE[name])
    if name in WITH_ARGUMENT:
        if not has_arg and name not in OPTIONAL_ARGUMENT:
            problems.add(where, f'transform {name!r} needs an argument: {{"{name}": ...}}')
            return None
        return WITH_ARGUMENT[name](arg, pointer(where, name) if has_arg else where, problems)
    problems.add(where, f"unknown transform {name!r}{did_you_mean(name, NAMES)}")
    return None


def compile_chain(specs: Any, where: str, problems: Problems) -> tuple[Transform, ...]:
    """A transform list, applied in order; at most MAX_CHAIN."""
    if not isinstance(specs, list):
        problems.add(where, "transform must be a list of transforms, applied in order")
        return ()
    if len(specs) > MAX_CHAIN:
        problems.add(where, f"at most {MAX_CHAIN} transforms per value")
    compiled = [compile_transform(s, pointer(where, i), problems) for i, s in enumerate(specs)]
    return tuple(t for t in compiled if t is not None)
