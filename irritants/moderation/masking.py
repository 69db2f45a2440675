"""Passages a moderator masks before publishing a report: what the detector missed (a name, a detail that identifies
someone). Pure functions over text; ``moderation.decide`` applies them and writes the audit event."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from irritants.errors import ValidationFailed

MASK = "[masqué]"
MAX_PASSAGES = 30
PASSAGE_MIN_LENGTH = 2
PASSAGE_MAX_LENGTH = 300


def parse_passages(raw: Any) -> list[str]:
    """Passages from the form (one per line) or the API (a list of strings): trimmed, without duplicates."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        items: Iterable[Any] = raw.splitlines()
    elif isinstance(raw, list):
        items = raw
    else:
        raise ValidationFailed(errors={"mask": ["Donnez une liste de passages à masquer."]})
    passages: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationFailed(errors={"mask": ["Chaque passage à masquer doit être un texte."]})
        passage = " ".join(item.split())
        if passage and passage.casefold() not in {p.casefold() for p in passages}:
            passages.append(passage)
    return passages


def check_passages(text: str, passages: list[str]) -> None:
    """ValidationFailed (French, field ``mask``) unless every passage is a plausible length and occurs in ``text``."""
    problems = []
    if len(passages) > MAX_PASSAGES:
        problems.append(f"Masquez au plus {MAX_PASSAGES} passages à la fois.")
    for passage in passages[:MAX_PASSAGES]:
        if len(passage) < PASSAGE_MIN_LENGTH:
            problems.append(f"« {passage} » est trop court : un passage à masquer fait au moins 2 caractères.")
        elif len(passage) > PASSAGE_MAX_LENGTH:
            problems.append(f"Un passage à masquer ne doit pas dépasser {PASSAGE_MAX_LENGTH} caractères.")
        elif not _pattern([passage]).search(text):
            problems.append(f"« {passage} » ne figure pas dans le texte : recopiez-le tel qu’il y est écrit.")
    if problems:
        raise ValidationFailed("Certains passages à masquer sont invalides.", errors={"mask": problems})


def mask_text(text: str, passages: list[str]) -> str:
    """``text`` with every occurrence of each passage (any case, any spacing) replaced by « [masqué] »."""
    return _pattern(passages).sub(MASK, text) if passages else text


def _pattern(passages: list[str]) -> re.Pattern[str]:
    # Longest first, so that "Jean Dupont" is masked whole rather than leaving "Jean" after "Dupont" went; the
    # spaces of a passage match any run of whitespace (the text may break a name across lines).
    ordered = sorted(passages, key=len, reverse=True)
    alternatives = [r"\s+".join(re.escape(word) for word in passage.split()) for passage in ordered]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def scrub_keywords(keywords: list[str], passages: list[str]) -> list[str]:
    """Keywords sharing no word with a masked passage (accents and case ignored): a name must not stay a keyword."""
    masked_words = {_fold(word) for passage in passages for word in re.findall(r"\w+", passage)}
    return [k for k in keywords if not {_fold(word) for word in re.findall(r"\w+", k)} & masked_words]
