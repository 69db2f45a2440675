"""Text hygiene for everything the service reads or writes: characters refused at the edge, free text cleaned
before others read it, one defensive JSON parse, and values made safe for one-line logs.

PURE: stdlib only, no Flask; ``irritants.inputs`` applies it to requests.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from itertools import accumulate
from typing import Any

# C0 and C1 control characters and DEL, except tab, line feed and carriage return: PostgreSQL text cannot hold
# NUL, and none of them belongs in a form field, a JSON string, a header or a query string.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Astral format characters (Unicode category Cf) as of Unicode 15.1; the BMP ones are read from unicodedata.
_ASTRAL_FORMAT = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
# Invisible format characters: bidirectional controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C) that can
# reverse a title shown to agents, zero-width characters, soft hyphen, byte-order mark…
_INVISIBLE = re.compile(
    "["
    + "".join(re.escape(chr(i)) for i in range(0x10000) if unicodedata.category(chr(i)) == "Cf")
    + _ASTRAL_FORMAT
    + "]"
)
_LINE_BREAKS = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_CONTROLS_KEPT_OUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

MAX_JSON_DEPTH = 32
# Integers beyond what every JSON reader holds exactly (IEEE doubles) are refused; so are inf and NaN.
MAX_JSON_INTEGER = 2**53 - 1
_JSON_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# What a refused character looks like in JSON text: escaped (tab, LF and CR included: a false alarm only costs the
# walk), or DEL and C1 as they are (json.loads refuses the other raw control characters itself). Bodies without
# any skip the walk over every value.
_ESCAPED_SUSPECT = re.compile(r"\\u(?:00[0189][0-9a-fA-F]|007[fF]|[dD][89a-fA-F][0-9a-fA-F]{2})")
_RAW_SUSPECT = re.compile(r"[\x7f-\x9f]")
_MAX_ERRORS = 20


def forbidden_character(value: str) -> str | None:
    """The first control character (or lone surrogate) ``value`` may not hold, if any."""
    match = _FORBIDDEN.search(value)
    return match.group() if match else None


def refusal(char: str) -> str:
    """The French message for a refused character, naming its code point."""
    return f"Caractère non autorisé (U+{ord(char):04X}) : retirez-le ou retapez le texte."


def strip_forbidden(value: str) -> str:
    """``value`` without the characters :func:`forbidden_character` refuses (to show back what was typed)."""
    return _FORBIDDEN.sub("", value)


def clean_text(value: str) -> str:
    """Plain text others will read: line breaks normalised, no control nor invisible format character, trimmed."""
    value = _LINE_BREAKS.sub("\n", value)
    value = _CONTROLS_KEPT_OUT.sub("", value)
    value = _INVISIBLE.sub("", value)
    return value.strip()


def clean_line(value: str) -> str:
    """A one-line text (label, title, keyword): cleaned, every run of whitespace made one space."""
    return " ".join(clean_text(value).split())


def escape_for_log(value: object) -> str:
    """``value`` on one unambiguous log line: backslashes doubled, control and invisible characters escaped."""
    text = str(value)
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


class JsonRefused(Exception):
    """A JSON body refused: ``status`` 400 (unreadable) or 422 (``errors`` nested by JSON path, as marshmallow)."""

    def __init__(self, status: int, detail: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or {}


class _OutOfRange:
    """Stands for a number too large to hold, until the walk reports where it was."""


_OUT_OF_RANGE = _OutOfRange()


def _parse_int(digits: str) -> int | _OutOfRange:
    # Checked on the digits before converting: a 5,000-digit integer would hit Python's conversion limit.
    if len(digits.lstrip("-")) > 16:
        return _OUT_OF_RANGE
    number = int(digits)
    return number if abs(number) <= MAX_JSON_INTEGER else _OUT_OF_RANGE


def _parse_float(text: str) -> float | _OutOfRange:
    number = float(text)
    return number if math.isfinite(number) else _OUT_OF_RANGE


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_depth(text: str) -> None:
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return  # too few brackets to nest deeper (most bodies)
    # Strings out, then brackets only, then the running depth: every loop runs in C, even on 64 KB of brackets.
    brackets = _NOT_BRACKETS.sub("", _JSON_STRINGS.sub("", text))
    if brackets and max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) > MAX_JSON_DEPTH:
        raise JsonRefused(400, f"Le JSON est trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus).")


def parse_json(raw: bytes) -> Any:
    """Parse a request body defensively: UTF-8, bounded depth, bounded numbers, no forbidden character.

    The depth is checked before parsing, so a body nested thousands of levels deep never reaches the recursive
    parser; numbers and strings are checked on the parsed value, and every offending field is reported at once.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRefused(400, "Le corps de la requête n'est pas un JSON valide (UTF-8 attendu).") from None
    _check_depth(text)
    out_of_range: list[str] = []

    def parse_int(digits: str) -> int | _OutOfRange:
        number = _parse_int(digits)
        if number is _OUT_OF_RANGE:
            out_of_range.append(digits)
        return number

    def parse_float(digits: str) -> float | _OutOfRange:
        number = _parse_float(digits)
        if number is _OUT_OF_RANGE:
            out_of_range.append(digits)
        return number

    try:
        data = json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=_refuse_constant)
    except ValueError:
        raise JsonRefused(400, "Le corps de la requête n'est pas un JSON valide (UTF-8 attendu).") from None
    suspect = ("\\u" in text and _ESCAPED_SUSPECT.search(text)) or _RAW_SUSPECT.search(text)
    errors = _problems(data) if out_of_range or suspect else {}
    if errors:
        raise JsonRefused(422, "Certains champs contiennent des valeurs refusées : voir « errors ».", errors)
    return data


def _problems(data: Any) -> dict[str, Any]:
    """Forbidden characters and out-of-range numbers, as nested messages keyed by JSON path (iterative walk)."""
    errors: dict[str, Any] = {}
    found = 0
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack and found < _MAX_ERRORS:
        path, value = stack.pop()
        message = None
        if isinstance(value, str):
            char = forbidden_character(value)
            message = refusal(char) if char else None
        elif isinstance(value, _OutOfRange):
            message = f"Nombre hors limites (entre -{MAX_JSON_INTEGER} et {MAX_JSON_INTEGER})."
        elif isinstance(value, dict):
            for key, item in value.items():
                char = forbidden_character(key)
                if char:
                    _store(errors, (*path, strip_forbidden(key)), f"Nom de champ refusé. {refusal(char)}")
                    found += 1
                else:
                    stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), item) for i, item in enumerate(value))
        if message:
            _store(errors, path, message)
            found += 1
    return errors


def _store(errors: dict[str, Any], path: tuple[str, ...], message: str) -> None:
    if not path:
        errors.setdefault("_schema", []).append(message)
        return
    node = errors
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):  # a message already stands at this level
            return
        node = child
    existing = node.setdefault(path[-1], [])
    if isinstance(existing, list):
        existing.append(message)


# What a spreadsheet reads as the start of a formula (OWASP « CSV injection »), full-width forms included.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, prefixed with ``'``; anything else as it is (the
    exports' CSV and the open data files)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value
