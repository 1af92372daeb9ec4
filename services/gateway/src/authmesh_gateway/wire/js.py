"""The JavaScript built-ins whose exact behaviour shows on Better-Auth's wire.

Python's nearest equivalents differ at the edges (what `strip` removes, what `unquote` does with
a broken escape, how `len` counts an emoji, how `json.dumps` writes a lone surrogate), and those
edges decide whether a cookie verifies or a password is "too long". Each function here names the
ECMAScript operation it reproduces.
"""

import json
import math
import re
from decimal import Decimal
from urllib.parse import quote

# ECMAScript WhiteSpace and LineTerminator code points: the set `String.prototype.trim` removes.
_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# Characters `encodeURIComponent` leaves alone besides ASCII letters and digits (ECMA-262 §19.2.6).
_URI_COMPONENT_SAFE = "-_.!~*'()"
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What `Number(string)` reads (ECMA-262 StringNumericLiteral), once trimmed.
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_PREFIXED = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")


def trim(text: str) -> str:
    """`String.prototype.trim`."""
    return text.strip(_JS_WHITESPACE)


def utf16_length(text: str) -> int:
    """`String.prototype.length`: UTF-16 code units, so a character outside the BMP counts 2.

    Better-Auth's password bounds (8..128) and zod's string sizes are measured this way.
    """
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def encode_uri_component(text: str) -> str:
    """`encodeURIComponent` (UTF-8, upper-case hex)."""
    return quote(text, safe=_URI_COMPONENT_SAFE)


def try_decode_uri_component(text: str) -> str:
    """better-call's `tryDecode`: `decodeURIComponent` when the text holds a `%`, and the text
    unchanged when that would throw (a `%` not followed by two hex digits, or invalid UTF-8)."""
    if "%" not in text:
        return text
    if text.count("%") != sum(len(run.group()) // 3 for run in _PERCENT_RUN.finditer(text)):
        return text  # a stray `%`: decodeURIComponent throws URIError
    try:
        return _PERCENT_RUN.sub(
            lambda run: bytes.fromhex(run.group().replace("%", "")).decode(), text
        )
    except UnicodeDecodeError:
        return text


def to_well_formed(text: str) -> str:
    """`String.prototype.toWellFormed`: each lone surrogate replaced by U+FFFD, so that the text
    can be written as UTF-8 (what TextEncoder and Better-Auth's database driver do to it)."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def text_encode(text: str) -> bytes:
    """`TextEncoder.encode`: UTF-8 where a lone surrogate becomes U+FFFD instead of an error."""
    return to_well_formed(text).encode()


def truthy(value: object) -> bool:
    """`Boolean(value)` for JSON data: `false`, `0`, `""` and `null` are falsy; unlike
    Python, an empty array or object is truthy."""
    if isinstance(value, list | dict):
        return True
    return bool(value)


def json_stringify(value: object) -> str:
    """`JSON.stringify(value)` for JSON data: compact, non-ASCII kept, lone surrogates escaped.

    Non-finite floats raise `ValueError` (JavaScript would write `null`); Better-Auth never
    produces them, so meeting one is a bug worth surfacing.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return _LONE_SURROGATE.sub(lambda char: f"\\u{ord(char.group()):04x}", text)


def to_number(text: str) -> float:
    """`Number(text)` for a string: the decimal, hexadecimal, octal or binary number it spells
    (blank is 0), NaN for anything else."""
    literal = trim(text)
    if not literal:
        return 0.0
    if _PREFIXED.fullmatch(literal):
        return float(int(literal, 0))
    if _DECIMAL.fullmatch(literal):
        return float(literal.replace("Infinity", "inf"))
    return math.nan


def number_to_string(value: float) -> str:
    """`Number.prototype.toString()`: the shortest digits that read back as `value`, fixed
    between 1e-7 and 1e21, exponential outside (`1e+21`, `1.5e-7`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if 1e-7 <= abs(value) < 1e21:
        return format(Decimal(repr(value)), "f")
    mantissa, _, exponent = repr(value).partition("e")
    return f"{mantissa}e{int(exponent):+d}"


def to_string(value: object) -> str:
    """`String(value)` for JSON data, which zod's `z.coerce.string()` applies: `null` is "null",
    an array its items joined by commas (`null` items empty), an object "[object Object]"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):  # JSON numbers are doubles to JavaScript
        return number_to_string(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join("" if item is None else to_string(item) for item in value)
    return "[object Object]"
