"""Detection and redaction of personal data in report texts. Pure: stdlib and python-stdnum only.

Public pages, the public API and exports show ``redact(text)`` of published reports only; at intake,
``detect(text)`` decides whether a report waits for a moderator. Checksums (NIR, IBAN, NIF) keep ordinary
numbers from being taken for identifiers; context words ("allocataire", "numéro fiscal"…) name the rest.
Dates, amounts, durations, department numbers and article numbers are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.fr import nif as stdnum_nif
from stdnum.fr import nir as stdnum_nir

from irritants.clustering.text import shorten
from irritants.intake import obfuscation

PLACEHOLDERS: dict[str, str] = {
    "email": "[courriel]",
    "url": "[lien]",
    "phone": "[téléphone]",
    "nir": "[n° de sécurité sociale]",
    "iban": "[IBAN]",
    "bic": "[BIC]",
    "caf": "[n° allocataire]",
    "fiscal": "[n° fiscal]",
    "number": "[numéro]",
    "address": "[adresse]",
    "name": "[nom]",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """A span of personal data in a text: ``text[start:end]`` is of ``kind`` (a key of PLACEHOLDERS)."""

    kind: str
    start: int
    end: int


# --- building blocks ------------------------------------------------------------------------------------

_SP = "[ \u00a0\u202f]"  # space, no-break space, narrow no-break space (French typography)
_SEP = "[ \u00a0\u202f.\\-]"
_UPPER = "A-ZÀ-ÖØ-ÞŒ"
_LOWER = "a-zß-öø-ÿœ"
_CAPW = f"[{_UPPER}][{_UPPER}{_LOWER}'’\\-]*"  # a capitalised word (or an all-caps one)
_WORD = f"[{_UPPER}{_LOWER}][{_UPPER}{_LOWER}'’\\-]*"
_ART = f"(?:(?:de|du|des|la|le|les|aux|au|sur|en){_SP}+|[ld]['’]{_SP}?)"
_CIVILITY = (
    r"(?:M\.|MM\.|Mr\.?|Mme\.?|Mmes|Mlle\.?|Melle|Me|Maître|Dr\.?|Docteur|Pr\.?|"
    r"(?i:monsieur|madame|mademoiselle))"
)
_PARTICLE = f"(?:(?:de|du|des|van|von|d['’]){_SP}?)"
_CURRENCY = re.compile(f"^{_SP}?(?:€|euros?\\b|eur\\b|k€|m€)", re.IGNORECASE)
_DATE = re.compile(r"^\d{1,2}[ ./\-]\d{1,2}[ ./\-](?:\d{4}|\d{2})$")
_THOUSANDS = re.compile(f"^\\d{{1,3}}(?:{_SP}\\d{{3}})+$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised words that start a sentence or name a function, never a person's name (lower-cased).
_NOT_NAMES = _words(
    """le la les l un une je j il elle on nous vous ils elles mais et ou donc car ni depuis pour par ce cette
    ça ca mon ma mes ton ta son sa ses notre votre leur qui que quand comment pourquoi merci cordialement
    bonjour bonsoir madame monsieur mademoiselle docteur préfet préfète maire ministre président présidente
    directeur directrice conseiller conseillère juge député députée sénateur sénatrice responsable agent
    agente chef cheffe secrétaire commissaire adjoint adjointe médiateur médiatrice défenseur défenseure
    assistant assistante x xx xxx caf cpam msa urssaf bonne journée soirée salutations encore beaucoup tous
    toutes à a au aux bien sincèrement respectueusement cdt cdlt svp"""
)
# Words that end a name introduced by "je m'appelle", "nom :"… (lower-cased).
_NAME_STOP = _NOT_NAMES | _words(
    "de du des en sur dans avec sans chez suis ai est habite vis travaille et j'ai j'habite"
)
_OFFICIAL_DOMAINS = (
    "gouv.fr",
    "caf.fr",
    "ameli.fr",
    "francetravail.fr",
    "pole-emploi.fr",
    "msa.fr",
    "urssaf.fr",
    "lassuranceretraite.fr",
    "info-retraite.fr",
    "service-public.fr",
    "defenseurdesdroits.fr",
    "cnil.fr",
)


def _after(text: str, end: int) -> str:
    return text[end : end + 8]


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


# --- detectors, most specific first (an earlier detector wins an overlap) -----------------------------

_EMAIL = re.compile(r"(?<![\w.%+\-])[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def _emails(text: str) -> Iterator[Finding]:
    for m in _EMAIL.finditer(text):
        yield Finding("email", m.start(), m.end())


_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"«»]+", re.IGNORECASE)
_HOST = re.compile(r"^(?:https?://)?([^/?#:\s]+)", re.IGNORECASE)


def _urls(text: str) -> Iterator[Finding]:
    # Links to public services' own sites are kept: citizens cite them, and they identify nobody.
    for m in _URL.finditer(text):
        url = m.group().rstrip(".,;:!?)»'’\"")
        host = _HOST.match(url)
        name = host.group(1).lower().removeprefix("www.") if host else ""
        official = any(name == d or name.endswith("." + d) for d in _OFFICIAL_DOMAINS)
        if official and "?" not in url and "@" not in url and not re.search(r"\d{5}", url):
            continue
        yield Finding("url", m.start(), m.start() + len(url))


_IBAN = re.compile(f"(?<![\\w])[A-Z]{{2}}\\d{{2}}(?:{_SP}?[A-Z0-9]{{4}}){{2,8}}(?:{_SP}?[A-Z0-9]{{1,3}})?(?!\\w)", re.I)
_GROUP = re.compile(f"{_SP}?[A-Za-z0-9]{{1,4}}")


def _iban_ok(candidate: str) -> bool:
    # ISO 13616 mod-97 first (a few microseconds), then stdnum's per-country length and format rules.
    compact = "".join(candidate.split()).upper()
    if len(compact) < 15 or not compact.isalnum():
        return False
    moved = compact[4:] + compact[:4]
    if int("".join(str(int(c, 36)) for c in moved)) % 97 != 1:
        return False
    return stdnum_iban.is_valid(compact)


def _ibans(text: str) -> Iterator[Finding]:
    # The pattern may swallow a following 4-letter word ("pour"): try shorter prefixes before giving up.
    for m in _IBAN.finditer(text):
        ends = [m.start() + 4 + g.end() for g in _GROUP.finditer(m.group()[4:])]
        valid = next((e for e in reversed(ends) if _iban_ok(text[m.start() : e])), None)
        if valid is not None:
            yield Finding("iban", m.start(), valid)
            continue
        numeric = [e for e in ends if any(c.isdigit() for c in text[e - 4 : e])]
        if numeric and len(_digits(text[m.start() : numeric[-1]])) >= 10:
            yield Finding("number", m.start(), numeric[-1])  # a mistyped IBAN is still a bank account


_BIC = re.compile(r"(?i:\b(?:BIC|SWIFT)\b)\W{0,5}([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b")


def _bics(text: str) -> Iterator[Finding]:
    for m in _BIC.finditer(text):
        if stdnum_bic.is_valid(m.group(1)):
            yield Finding("bic", m.start(1), m.end(1))


_NIR = re.compile(
    f"(?<![\\w])[1-478]{_SEP}?\\d{{2}}{_SEP}?\\d{{2}}{_SEP}?(?:\\d{{2}}|2[AB]){_SEP}?\\d{{3}}{_SEP}?\\d{{3}}"
    f"(?:{_SEP}?\\d{{2}})?(?!\\w)",
    re.IGNORECASE,
)
_NIR_CONTEXT = re.compile(r"s[ée]cu|vitale|\bnir\b|insee|immatriculation|ameli|cpam", re.IGNORECASE)
_FISCAL_CONTEXT = re.compile(r"fiscal|\bspi\b|imp[ôo]t|d[ée]clarant", re.IGNORECASE)
_CAF_CONTEXT = re.compile(r"allocataire|\bcaf\b|\bmsa\b", re.IGNORECASE)


def _classify(digits: str, context: str) -> str:
    """Kind of an identifier from its digits and the words before it."""
    if len(digits) == 15:
        return "nir" if stdnum_nir.is_valid(digits) else "number"
    if len(digits) == 13 and digits[0] in "0123" and (_FISCAL_CONTEXT.search(context) or stdnum_nif.is_valid(digits)):
        return "fiscal"
    if len(digits) == 13 and _NIR_CONTEXT.search(context):
        return "nir"
    if len(digits) in (7, 8) and _CAF_CONTEXT.search(context):
        return "caf"
    return "number"


def _nirs(text: str) -> Iterator[Finding]:
    for m in _NIR.finditer(text):
        compact = re.sub(r"[^0-9A-Za-z]", "", m.group()).upper()
        if len(compact) == 15:
            # Corsica (2A/2B) is not all digits: let stdnum judge the whole number.
            kind = "nir" if stdnum_nir.is_valid(compact) else "number"
        else:
            kind = _classify(_digits(compact), text[max(0, m.start() - 50) : m.start()])
        yield Finding(kind, m.start(), m.end())


_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)[ \u00a0]?(?:33|262|269|508|590|594|596|681|687|689)[ .\-\u00a0]?(?:\(0\)[ .\-\u00a0]?)?"
    r"\d(?:[ .\-\u00a0]?\d){5,8}"
    r"|0[1-79](?:[ .\-\u00a0\u202f]?\d{2}){4}"  # 08: free and shared-cost service numbers, nobody's own
    r"|\+\d{1,3}[ .\-\u00a0]?\d(?:[ .\-\u00a0]?\d){6,11}"
    r")(?!\w)"
)


def _phones(text: str) -> Iterator[Finding]:
    for m in _PHONE.finditer(text):
        if not _DATE.match(m.group()[:10]):
            yield Finding("phone", m.start(), m.end())


_KEYWORD = re.compile(
    r"(?i:\b(?P<kw>n[°º]|n[o°º]\.|num(?:[ée]ro)?\.?|r[ée]f(?:[ée]rence)?\.?|identifiant|matricule|siret|siren|"
    r"allocataire|adh[ée]rent|ine|agdref|ofii|ofpra|numen|fiscal|caf|s[ée]cu(?:rité sociale)?|dossier))"
    r"(?![a-zà-ÿ])"
    r"(?P<link>[^\d\n.;!?]{0,40}?)"
    f"(?P<id>[A-Z]{{0,5}}[\\-/]?\\d(?:[\\d/\\-]|{_SP}(?=\\d))*[A-Z]?)(?!\\w)"
)


def _identifiers(text: str) -> Iterator[Finding]:
    # Short or spaced numbers only count as identifiers when a word says so ("n° allocataire 1234567").
    for m in _KEYWORD.finditer(text):
        ident, keyword = m.group("id"), m.group("kw").lower()
        digits = _digits(ident)
        if len(digits) < 5 or _DATE.match(ident) or _CURRENCY.match(_after(text, m.end())):
            continue
        if keyword == "dossier" and (len(digits) < 6 or _THOUSANDS.match(ident)):
            continue
        yield Finding(_classify(digits, m.group("kw") + m.group("link")), m.start("id"), m.end("id"))


_LONG_NUMBER = re.compile(r"(?<![\w,.])\d{7,}[A-Z]?(?![\w]|[.,]\d)")


def _long_numbers(text: str) -> Iterator[Finding]:
    for m in _LONG_NUMBER.finditer(text):
        if not _CURRENCY.match(_after(text, m.end())):
            yield Finding(_classify(_digits(m.group()), text[max(0, m.start() - 50) : m.start()]), m.start(), m.end())


# A code of letters and digits mixed (a tracking token, a file number « AB12CD34EF56 »): 12 characters or more with at
# least three of each, a word of its own (never a plain word nor a plain number, which other rules decide).
_CODE = re.compile(r"(?<![\w\-])(?=(?:[A-Za-z_\-]*\d){3})(?=(?:[\d_\-]*[A-Za-z]){3})[A-Za-z0-9_\-]{12,}(?![\w\-])")


def _codes(text: str) -> Iterator[Finding]:
    for m in _CODE.finditer(text):
        yield Finding("number", m.start(), m.end())


_NUMBER = f"\\b\\d{{1,4}}(?:{_SP}?(?:bis|ter|quater|[a-dA-D]))?\\b,?{_SP}+"
# Unmistakable street types take any name; words that are also common nouns ("12 cours de français")
# need a capitalised name ("12 cours Mirabeau").
_STRONG = (
    r"rue|avenue|av\.?|ave|bd|bld|boulevard|boul\.?|all[ée]e|impasse|imp\.|chemin|ch\.|quai|faubourg|fg|"
    r"rond-point|esplanade|promenade|sentier|ruelle|lotissement|hameau|r[ée]sidence"
)
_WEAK = r"place|pl\.|route|rte|cours|cour|voie|villa|mail|domaine|passage|square|clos|cit[ée]|parvis|mont[ée]e|traverse"
_STREET = re.compile(
    f"{_NUMBER}(?:(?i:{_STRONG})(?!\\w){_SP}+{_ART}*{_WORD}|(?i:{_WEAK})(?!\\w){_SP}+{_ART}*{_CAPW})"
    f"(?:[{_SP[1:-1]}\\-]+{_ART}*{_CAPW}){{0,4}}"
)
_LIEU_DIT = re.compile(f"(?i:\\blieu[- ]dit){_SP}+{_ART}*{_CAPW}(?:[{_SP[1:-1]}\\-]+{_ART}*{_CAPW}){{0,3}}")
_POSTCODE_CITY = re.compile(
    f"(?<![\\w])(?:0[1-9]|[1-8]\\d|9[0-8])\\d{{3}}{_SP}+{_CAPW}(?:[{_SP[1:-1]}\\-]+(?!(?i:cedex)\\b)(?:{_ART})?{_CAPW}){{0,3}}"
    f"(?:{_SP}+(?i:cedex)(?:{_SP}+\\d{{1,2}})?)?"
)
_NOT_CITIES = _words("euros eur habitants personnes allocataires français dossiers demandes")


def _trim(text: str, start: int, end: int, stop: frozenset[str], *, keep: int = 1) -> int:
    """The end of ``text[start:end]`` without its trailing stop words (at least ``keep`` words kept)."""
    words = list(re.finditer(r"[^\s\-]+", text[start:end]))
    while len(words) > keep and words[-1].group().strip(",.'’").lower() in stop:
        words.pop()
    return start + words[-1].end() if words else end


def _addresses(text: str) -> Iterator[Finding]:
    for pattern in (_STREET, _LIEU_DIT):
        for m in pattern.finditer(text):
            yield Finding("address", m.start(), _trim(text, m.start(), m.end(), _NOT_NAMES, keep=3))
    for m in _POSTCODE_CITY.finditer(text):
        city = m.group().split()[1].lower()
        if city not in _NOT_CITIES and city not in _NOT_NAMES:
            yield Finding("address", m.start(), _trim(text, m.start(), m.end(), _NOT_NAMES, keep=2))


_TITLED = re.compile(
    f"(?<![\\w]){_CIVILITY}{_SP}+(?P<name>{_PARTICLE}?{_CAPW}(?:[{_SP[1:-1]}\\-]+{_PARTICLE}?{_CAPW}){{0,2}})"
)
_INTRODUCED = re.compile(
    r"(?i:\bje\s+m['’]\s?app?ell?e|\bje\s+me\s+nomme|\bmon\s+nom\s+(?:est|c['’]est)|\bmoi\s*,?\s+c['’]est|"
    r"\bnom(?:\s+de\s+famille)?\s*:|\bpr[ée]nom\s*:)"
    f"{_SP}*(?P<name>{_WORD}(?:[{_SP[1:-1]}\\-]+{_WORD}){{0,2}})"
)
_SIGNATURE = re.compile(
    r"(?i:\b(?:bien\s+)?cordialement|\bcdt|\bcdlt|\bbien\s+à\s+vous|\b(?:sinc[èe]res\s+)?salutations(?:\s+distingu[ée]es)?|"
    r"\brespectueusement|\bsinc[èe]rement)"
    f"[\\s,.!\\-]*(?:{_CIVILITY}{_SP}+)?(?P<name>{_CAPW}(?:[{_SP[1:-1]}\\-]+{_CAPW}){{0,2}})[\\s.!]*$"
)


def _names(text: str) -> Iterator[Finding]:
    for pattern in (_TITLED, _SIGNATURE):
        for m in pattern.finditer(text):
            if m.group("name").split()[0].strip("'’").lower() not in _NOT_NAMES:
                yield Finding("name", m.start("name"), _trim(text, m.start("name"), m.end("name"), _NOT_NAMES))
    for m in _INTRODUCED.finditer(text):
        words = list(re.finditer(r"[^\s\-]+", m.group("name")))
        kept = []
        for word in words:
            if word.group().lower() in _NAME_STOP or word.group().lower().startswith(("j'", "j’")):
                break
            kept.append(word)
        if kept:
            yield Finding("name", m.start("name"), m.start("name") + kept[-1].end())


def _spans(find: Callable[[str], Iterator[tuple[str, int, int]]]) -> Callable[[str], Iterator[Finding]]:
    return lambda text: (Finding(*span) for span in find(text))


_DETECTORS: tuple[Callable[[str], Iterator[Finding]], ...] = (
    _emails,
    _spans(obfuscation.emails),  # « jean [at] example [dot] com », « … arobase … point fr »
    _urls,
    _ibans,
    _bics,
    _nirs,
    _spans(obfuscation.phones),  # exactly ten digits, whatever the separators: « 06/12/34/56/78 », « +33 06… »
    _phones,
    _spans(obfuscation.spelled_phones),  # « zéro six douze trente-quatre… »
    _identifiers,
    _long_numbers,
    _codes,
    _addresses,
    _names,
)


# --- public API -----------------------------------------------------------------------------------------


def detect(text: str) -> list[Finding]:
    """Spans of personal data in ``text``, in order, without overlaps (the more specific detector wins)."""
    accepted: list[Finding] = []
    for detector in _DETECTORS:
        for found in detector(text):
            if found.end > found.start and all(found.end <= a.start or found.start >= a.end for a in accepted):
                accepted.append(found)
    accepted.sort(key=lambda f: f.start)
    merged: list[Finding] = []
    for found in accepted:
        # "12 rue des Lilas, 59000 Lille" is one address, not two.
        previous = merged[-1] if merged else None
        if (
            previous
            and previous.kind == found.kind == "address"
            and not text[previous.end : found.start].strip(" ,\u00a0\u202f")
        ):
            merged[-1] = Finding("address", previous.start, found.end)
        else:
            merged.append(found)
    return merged


def finding_kinds(text: str) -> list[str]:
    """The sorted kinds of personal data found in ``text`` (empty: nothing found)."""
    return sorted({f.kind for f in detect(text)})


def segments(text: str) -> list[tuple[str, str | None]]:
    """``text`` cut into (part, kind) pairs, kind None between findings: to highlight raw text for moderators."""
    parts: list[tuple[str, str | None]] = []
    position = 0
    for found in detect(text):
        if found.start > position:
            parts.append((text[position : found.start], None))
        parts.append((text[found.start : found.end], found.kind))
        position = found.end
    if position < len(text):
        parts.append((text[position:], None))
    return parts


def redact(text: str) -> str:
    """``text`` with every finding replaced by a French placeholder such as « [téléphone] »."""
    return "".join(part if kind is None else PLACEHOLDERS[kind] for part, kind in segments(text))


def has_personal_data(text: str) -> bool:
    """Whether ``redact`` would change anything in ``text`` (a text to be published as typed must not)."""
    return redact(text) != text


def excerpt(text: str, limit: int = 280) -> str:
    """A redacted excerpt on one line, cut on a word boundary (never inside a placeholder)."""
    cut = shorten(redact(text), limit)  # the one helper that cuts a shown text between two words
    if cut.count("[") > cut.count("]"):
        cut = f"{cut[: cut.rindex('[')].rstrip()}…"
    return cut
