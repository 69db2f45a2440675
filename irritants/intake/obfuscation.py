"""Emails and phone numbers written so as to slip past a plain pattern: « jean [at] example [dot] com »,
« jean arobase example point com », « 06/12/34/56/78 », « zéro six douze trente-quatre… ». Pure: stdlib only.

Each detector yields (kind, start, end) spans for ``redaction.detect``, which decides overlaps. False positives
are kept low by asking for more than a word: an « at » or « arobase » counts only when a domain with a known
top-level domain (or a well-known mail provider) follows, and spelled-out numbers only when they start with
« zéro » and make exactly the ten digits of a French number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"
# "@", "[at]", "(arobase)", " at ", " arobase "; spaces around a literal "@" too (« jean @ example . com »).
_AT = rf"(?:\s*[@＠]\s*|\s*{_OPEN}\s*(?:at|@|arobase|arobas)\s*{_CLOSE}\s*|\s+(?:at|arobase|arobas)\s+)"
# A literal dot with a space after it but none before is a sentence's end (« à la mairie. De plus »), not a domain.
_DOT = rf"(?:\s*{_OPEN}\s*(?:dot|point|\.)\s*{_CLOSE}\s*|\s+(?:dot|point)\s+|\.|\s+\.\s*)"
# Inside the local part only an unspaced dot or a spelled-out one (« jean point dupont »), never « jean . dupont ».
_LOCAL_DOT = rf"(?:\.|\s*{_OPEN}\s*(?:dot|point|\.)\s*{_CLOSE}\s*|\s+(?:dot|point)\s+)"
_LOCAL = rf"[\w+\-]{{1,64}}(?:{_LOCAL_DOT}[\w+\-]{{1,64}}){{0,4}}"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
# Top-level domains people actually write after « point »: a word that is not one of these ends no address.
_TLDS = "com|fr|net|org|eu|info|biz|be|ch|lu|ca|uk|de|es|it|pt|nl|io|me|re|gp|mq|gf|yt|pm|nc|pf|wf|bzh|paris|gouv"
_PROVIDERS = (
    "gmail|hotmail|yahoo|outlook|orange|free|sfr|laposte|wanadoo|live|icloud|protonmail|proton|bbox|neuf|aol|"
    "gmx|msn|numericable|club-internet"
)
_EMAIL = re.compile(
    rf"(?<![\w.+\-])(?:{_LOCAL}){_AT}"
    rf"(?:{_LABEL}(?:{_DOT}{_LABEL}){{0,3}}{_DOT}(?:{_TLDS})|(?:{_PROVIDERS}))(?![\w\-])",
    re.IGNORECASE,
)


# Every address above holds an « @ » or one of these words: texts without any (most) skip the costly scan.
_AT_HINT = re.compile(r"[@＠]|(?<!\w)(?:at|arobase|arobas)(?!\w)", re.IGNORECASE)


def emails(text: str) -> Iterator[tuple[str, int, int]]:
    """Obfuscated email addresses (plain ones are the plain detector's)."""
    if not _AT_HINT.search(text):
        return
    for m in _EMAIL.finditer(text):
        yield "email", m.start(), m.end()


# Ten digits with any separators a person may put between them (spaces, dots, dashes, slashes, brackets), a
# leading « O » typed for zero, or a +33 / 0033 prefix.
_SEP = r"[ \u00a0\u202f.\-/_()]{0,3}"
_PHONE = re.compile(
    rf"(?<![\w+/.,\-])(?:(?:\+|00)\s?33{_SEP}(?:\(0\){_SEP}|0{_SEP})?(?=[1-79])|\(?(?:0|[Oo](?=[1-79]))\)?{_SEP}(?=[1-79]))"
    rf"\d(?:{_SEP}\d){{8}}(?!\d|[ \u00a0.\-/]{{1,3}}\d|[.,]\d|\w)"
)
_DATE = re.compile(r"\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d{2}")
_CURRENCY = re.compile(r"^\s?(?:€|euros?\b|eur\b)", re.IGNORECASE)


def phones(text: str) -> Iterator[tuple[str, int, int]]:
    """Phone numbers with unusual separators; dates and amounts that happen to hold ten digits are not."""
    for m in _PHONE.finditer(text):
        if _DATE.search(m.group()) or _CURRENCY.match(text[m.end() : m.end() + 6]):
            continue
        yield "phone", m.start(), m.end()


# --- numbers written in French words ------------------------------------------------------------------------

_UNITS = {
    "zéro": 0, "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4,
    "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
}  # fmt: skip
_TEENS = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16}
_TENS = {
    "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "septante": 70, "huitante": 80, "octante": 80, "nonante": 90,
}  # fmt: skip
_NUMBER_WORDS = {**_UNITS, **_TEENS, **_TENS, "et": -1}
_TOKEN = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_START = re.compile(r"(?i)(?<!\w)z[ée]ro(?!\w)")
# Between two number words: spaces, commas, hyphens, dots (« zéro six, douze. trente-quatre »).
_GAP = re.compile(r"[\s,;.\-]*")
_MAX_TOKENS = 30


def _tokens(text: str, start: int) -> list[tuple[str, int, int]]:
    """Number words and digit groups from ``start`` on, up to the first other word."""
    out: list[tuple[str, int, int]] = []
    position = start
    while len(out) < _MAX_TOKENS:
        position = _GAP.match(text, position).end()  # type: ignore[union-attr]
        m = _TOKEN.match(text, position)
        if m is None:
            break
        word = m.group().lower()
        if not (word.isdigit() and len(word) <= 4) and word not in _NUMBER_WORDS:
            break
        out.append((word, m.start(), m.end()))
        position = m.end()
    while out and out[-1][0] == "et":
        out.pop()
    return out


def _value(words: list[str], i: int) -> tuple[str, int]:
    """The number starting at ``words[i]`` as digits, and how many words it took (greedy, French rules)."""
    word = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if word.isdigit():
        return word, 1
    if word == "quatre" and nxt in ("vingt", "vingts"):
        tens, used = 80, 2
    elif word in _TENS:
        tens, used = _TENS[word], 1
    elif word == "dix" and nxt in ("sept", "huit", "neuf"):
        return str(10 + _UNITS[nxt]), 2
    elif word in _UNITS or word in _TEENS:
        return str(_UNITS.get(word, _TEENS.get(word))), 1
    else:
        return "", 1
    rest = words[i + used :]
    if tens in (60, 80) and rest and rest[0] == "dix" and len(rest) > 1 and rest[1] in ("sept", "huit", "neuf"):
        return str(tens + 10 + _UNITS[rest[1]]), used + 2
    if tens in (60, 80) and rest and rest[0] in _TEENS:
        return str(tens + _TEENS[rest[0]]), used + 1
    if rest[:2] in (["et", "un"], ["et", "une"]):
        return str(tens + 1), used + 2
    if tens == 60 and rest[:2] == ["et", "onze"]:
        return "71", used + 2
    if rest and rest[0] in _UNITS and _UNITS[rest[0]] > 0:
        return str(tens + _UNITS[rest[0]]), used + 1
    return str(tens), used


def spelled_phones(text: str) -> Iterator[tuple[str, int, int]]:
    """« zéro six douze trente-quatre cinquante-six soixante-dix-huit » and « zéro six un deux… »."""
    for m in _START.finditer(text):
        tokens = _tokens(text, m.start())
        words = [t[0] for t in tokens]
        digits, i = "", 0
        while i < len(words) and len(digits) < 10:
            value, used = _value(words, i)
            if not value:
                break
            digits += value
            i += used
        if len(digits) == 10 and digits[0] == "0" and digits[1] in "12345679":
            yield "phone", m.start(), tokens[i - 1][2]
