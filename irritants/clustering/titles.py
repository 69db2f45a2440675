"""Irritant titles that name the blockage: « {démarche} : {ce qui bloque} », the clause of the irritant's most
central reports that holds its most distinctive terms, never a greeting, an opener or a cut word."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from irritants.clustering.labels import phrases, shouted
from irritants.clustering.text import TEXT_SPEAK, fold, is_filler, shorten, stem

TITLE_MAX = 100
# Below this many characters left after « {démarche} : », the démarche is dropped rather than the blockage.
_MIN_BODY = 40
_SOURCES = 5
POSITION_DECAY = 0.8
RANK_DECAY = 0.85

_GREETING = re.compile(
    r"^\s*(?:(?:bonjour|bonsoir|madame|monsieur|mesdames|messieurs|salut|hello|svp|s'il vous pla[iî]t|"
    r"(?:je vous |je me permets de vous )(?:écris|ecris|contacte)[^.,:;!?]*)[\s,.!:;-]*)+",
    re.IGNORECASE,
)
# Sentence ends, including a capitalised opening word after a sentence that lost its full stop.
_SENTENCES = re.compile(
    r"(?<=[.!?…])\s+|\s*\n+\s*|(?<=[a-zà-ÿ])\s+(?=(?:Le|La|Les|Je|J'|Mon|Ma|Mes|Il|Elle|On|Depuis|Et|Mais|Ça|Cela|"
    r"Pour|Quand|Personne|Aucun|Aucune|Impossible|Sur|Du coup|En plus|Pourtant|Résultat)\b)"
)
_LEADING_LINK = re.compile(r"^(?:mais|et|donc|car|alors|puis|or|sauf que|du coup|parce que|parce qu')\s+", re.I)
# Clause boundaries: the separator is kept apart, so a title can end before it or hold it between two clauses.
_CLAUSES = re.compile(
    r"(\s*[,;:]\s+|\s*\[[^\]]*\]\s*|\s+(?:mais|alors que|alors qu'|car|parce que|parce qu'|donc|sauf que|et depuis|"
    r"du coup)\s+)",
    re.IGNORECASE,
)
_EDGES = re.compile(r"^[\s,;:.!…\-–—]+|[\s,;:.!…\-–—]+$")
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")
# Words of a démarche's name too common to show the title already names it (« ma demande est bloquée »).
_GENERIC_PROCEDURE_WORDS = frozenset(
    {"demande", "declaration", "dossier", "changement", "situation", "aide", "allocation", "prestation", "carte"}
)
# A clause may stop before one of these words when the whole sentence is too long (never inside a word).
_STOPS_BEFORE = re.compile(
    r"\s+(?=(?:que|qu'|qui|car|pour|depuis|après|sans|avec|alors|et|ou|parce|quand|lorsque|si|mais|dont|où|"
    r"il y a|au bout|dans|avant|chez|sur|entre|à cause)\b)",
    re.IGNORECASE,
)
# Words that say something fails: a clause holding one says what blocks rather than a consequence or a context.
_FAILURE = re.compile(
    r"\b(?:aucune?|pas|plus|jamais|rien|sans|impossible|refus\w*|bloqu\w*|rejet\w*|erreur\w*|plant\w*|bug\w*|"
    r"introuvables?|suspendu\w*|coupée?s?|supprimée?s?|radiée?s?|perdue?s?|attente|attend\w*|délais?|retard\w*|"
    r"injoignables?|saturée?s?|indisponibles?|ferm\w*|bloquée?s?|en panne|ne \w+ pas|n'\w+ pas)\b",
    re.IGNORECASE,
)
FAILURE_BONUS = 1.3
# A citizen telling who they are (« je suis étudiant et je vis seul ») gives context, not the blockage.
_SELF = re.compile(
    r"^(?:je suis|je ne suis|nous sommes|je travaille|je vis|j'ai \w+ ans|je viens de|mes enfants|ma femme|mon mari|"
    r"ma fille|mon fils|ma mère|mon père|ma banque|en attendant)\b",
    re.IGNORECASE,
)
# A sum of money is one report's detail, not the irritant's (« trop-perçu de 132 € réclamé »).
_AMOUNT = re.compile(r"\s*(?:\bde\s+)?\d[\d\s.,]*\s?(?:€|euros?\b)", re.IGNORECASE)
# A clause that only says which démarche (« Pour l'AME ») names no blockage.
_BARE_PREPOSITION = re.compile(r"^(?:pour|sur|dans|concernant|au sujet de|à propos de)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    score: float
    fits: bool
    # Not a citizen telling who they are (context, not the blockage).
    about_blockage: bool


_WORDS = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


def _spelling(texts: Sequence[str]) -> dict[str, str]:
    """Each word's usual spelling inside sentences of texts that do not shout, by its folded form (« CAF »,
    « réclamé » for « reclame »): a title taken from a shouted or accent-less report is written like the others."""
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        for sentence in _SENTENCES.split(text):
            if shouted(sentence):
                continue
            for match in _WORDS.finditer(sentence):
                word, before = match.group(), sentence[: match.start()].rstrip()
                previous = _WORDS.findall(before[-40:])
                # A word opening a sentence, or following a mark or a capitalised word (« Bonjour Dossier… »), may be
                # capitalised for that alone: only a word after a lower-case one tells its spelling.
                if not before or before[-1] in '.,;:!?«("' or not previous or not previous[-1][:1].islower():
                    continue
                if (word.isupper() and len(word) > 6) or (not word.isupper() and any(c.isupper() for c in word[1:])):
                    continue  # a shouted word, or « aPRÈS »: a typo, not a spelling
                forms.setdefault(fold(word), Counter())[word] += 1
    return {key: counter.most_common(1)[0][0] for key, counter in forms.items()}


def _respell(text: str, spelling: Mapping[str, str]) -> str:
    """Shouted words lower-cased (acronyms kept as the other reports write them), missing accents put back."""
    loud = shouted(text)

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        usual = spelling.get(fold(word))
        if loud:
            return usual if usual is not None else word.lower()
        if usual is not None and len(word) >= 3 and word == fold(word) and usual.lower() != word.lower():
            return (usual[:1].upper() if word[:1].isupper() else usual[:1].lower()) + usual[1:]
        return word

    return _WORDS.sub(fix, text)


def _keys(text: str, language: str) -> tuple[set[str], int, set[str]]:
    """Terms of a clause as keywords count them (stems and adjacent pairs), its number of content words, its stems."""
    keys: set[str] = set()
    words = 0
    stems: set[str] = set()
    for run in phrases(text, language):
        content = [(i, key) for i, (key, _) in enumerate(run) if key]
        words += len(content)
        stems |= {key for _, key in content}
        keys |= {key for _, key in content}
        keys |= {f"{a} {b}" for (i, a), (j, b) in itertools.pairwise(content) if a != b and j - i <= 2}
    return keys, words, stems


def _balanced(text: str) -> bool:
    return text.count("«") == text.count("»") and text.count("(") == text.count(")") and text.count('"') % 2 == 0


def _spans(sentence: str) -> list[str]:
    """One to three adjacent clauses of a sentence, and their beginnings that stop before a linking word (a redacted
    « [numéro] » ends a clause)."""
    pieces = _CLAUSES.split(sentence)  # clause, separator, clause, separator…
    clauses = pieces[0::2]
    out = []
    for start in range(len(clauses)):
        for end in range(start, min(start + 3, len(clauses))):
            span = _LEADING_LINK.sub("", _EDGES.sub("", "".join(pieces[2 * start : 2 * end + 1])))
            if span:
                out.append(span)
                out.extend(_EDGES.sub("", span[: m.start()]) for m in _STOPS_BEFORE.finditer(span) if m.start() >= 15)
    return out


def _candidates(
    text: str, weights: Mapping[str, float], budget: int, rank: int, named: set[str], language: str
) -> list[_Candidate]:
    known = {key for key in weights if " " not in key}
    out = []
    stated = 0  # sentences before this one that hold a distinctive term
    for sentence in _SENTENCES.split(text):
        sentence = _AMOUNT.sub("", _GREETING.sub("", sentence)).strip()
        spans = _spans(sentence) if sentence else []
        # Citizens state the blockage first and then tell its consequences and what they tried: the first sentence
        # that names anything distinctive is preferred to the later ones.
        position = POSITION_DECAY**stated
        if any(weights.get(k, 0.0) > 0 for k in _keys(sentence, language)[0]):
            stated += 1
        for span in spans:
            if not _balanced(span) or "[" in span:  # unbalanced, or holds a redacted « [numéro] »
                continue
            keys, words, stems = _keys(span, language)
            # What blocks counts; the démarche's own words (already in the title's prefix) count a little.
            blockage = sum(weights.get(k, 0.0) for k in keys if not set(k.split(" ")) & named)
            if blockage <= 0 or not words:
                continue
            weight = blockage + 0.3 * sum(weights.get(k, 0.0) for k in keys if set(k.split(" ")) & named)
            # Typos and text-speak are words no other report of the irritant uses: prefer clean clauses.
            clean = len(stems & known) / max(len(stems), 1)
            score = weight * (0.5 + 0.5 * clean) * (RANK_DECAY**rank) * position
            score *= FAILURE_BONUS if _FAILURE.search(span) else 1.0
            score *= 0.85 if any(ch.isdigit() for ch in span) else 1.0
            score *= 0.8 if shouted(span) else 1.0
            score *= 0.5 if _BARE_PREPOSITION.match(span) and not _CLAUSES.search(span) else 1.0
            score *= 0.7 if ":" in span else 1.0
            # Text-speak reads badly in a title when another report says the same in full.
            score *= 0.6 if TEXT_SPEAK & set(re.findall(r"\w+", span.lower())) else 1.0
            # A clause that adds nothing distinctive only makes the title longer.
            score *= 1.0 - 0.25 * min(len(span), budget) / budget
            out.append(_Candidate(span, score, len(span) <= budget, not _SELF.match(span)))
    return out


def _plain_name(name: str | None) -> str:
    return " ".join(_PARENTHESIS.sub("", name or "").split()).strip(" ,;:-")


def _stems_of(name: str | None, language: str) -> set[str]:
    return {stem(w, language) for w in re.findall(r"[^\W\d_]+", fold(_plain_name(name))) if not is_filler(w)}


def names(text: str, name: str, language: str = "french") -> bool:
    """Whether ``text`` already names ``name`` (a démarche or an administration) by one of its distinctive words."""
    words = [w for w in re.findall(r"[^\W\d_]+", fold(name)) if len(w) >= 2 and not is_filler(w)]
    specific = [w for w in words if w not in _GENERIC_PROCEDURE_WORDS] or words
    wanted = {stem(w, language) for w in specific}
    found = {stem(w, language) for w in re.findall(r"[^\W\d_]+", fold(text))}
    return bool(wanted & found)


def _first_letter(text: str, *, upper: bool, casing: Mapping[str, str]) -> str:
    if upper:
        return text[:1].upper() + text[1:]
    first = re.match(r"[^\W\d_]+", text)
    if first is None:
        return text
    word = first.group()
    usual = casing.get(fold(word), word.lower() if not word.isupper() or len(word) == 1 else word)
    # Acronyms and proper nouns keep their capital after « : » (« ANEF bloquée »), other words lose it.
    return (usual if usual[:1].isupper() else word[:1].lower() + word[1:]) + text[len(word) :]


def title(
    texts: Sequence[str],
    weights: Mapping[str, float],
    *,
    demarche: str | None = None,
    where: str | None = None,
    keywords: Sequence[str] = (),
    max_chars: int = TITLE_MAX,
    language: str = "french",
) -> str:
    """A title for an irritant from its reports' texts (most central first) and its term weights.

    The body is the clause (or two or three adjacent clauses) of the first reports that holds most of the irritant's
    distinctive terms, without greeting, opener or filler; it is prefixed by the démarche (else the administration,
    ``where``) unless it names it already, and fits ``max_chars`` without cutting a word. Without any distinctive
    clause it is « {démarche} : {mots-clés} ».
    """
    prefix = _plain_name(demarche) or _plain_name(where)
    prefix = prefix[:1].upper() + prefix[1:]
    budget = max_chars - len(prefix) - 3 if prefix else max_chars
    if budget < _MIN_BODY:
        prefix, budget = "", max_chars
    spelling = _spelling(texts)
    named = _stems_of(prefix, language) if prefix else set()
    candidates = [
        candidate
        for rank, text in enumerate(texts[:_SOURCES])
        for candidate in _candidates(text, weights, budget, rank, named, language)
    ]
    if candidates:
        # A clause too long for the title is cut (on a word) only when no other clause fits; a citizen's words about
        # themselves are a title only when nothing else names anything.
        best = max(candidates, key=lambda c: (c.about_blockage, c.fits, c.score))
        body = shorten(_respell(best.text, spelling), budget)
    else:
        body = shorten(", ".join(keywords[:3]), budget)
    if prefix and body and names(body, prefix, language):
        prefix = ""
        if not candidates:
            body = shorten(", ".join(keywords[:3]), max_chars)
    if not body:
        return prefix or "Signalements divers"
    if not prefix:
        return _first_letter(body, upper=True, casing=spelling)
    return f"{prefix} : {_first_letter(body, upper=False, casing=spelling)}"
