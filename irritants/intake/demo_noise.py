"""How people really type, for demo reports: typos, shouting, accent-less text, amounts, reference numbers."""

from __future__ import annotations

import random
import re

ACCENTS = str.maketrans(
    {
        **dict(
            zip("àâäáãéèêëíìîïóòôöõúùûüçñÿÀÂÄÉÈÊËÎÏÔÖÙÛÜÇ", "aaaaaeeeeiiiiooooouuuucnyAAAEEEEIIOOUUUC", strict=True)
        ),
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "’": "'",
    }
)
PLACEHOLDER = re.compile(r"[#@]")


def strip_accents(text: str) -> str:
    """The text as typed on a keyboard without accents."""
    return text.translate(ACCENTS)


def fill(rng: random.Random, pattern: str) -> str:
    """Replace # by a digit and @ by a capital letter (reference numbers)."""
    return PLACEHOLDER.sub(
        lambda m: str(rng.randrange(10)) if m.group() == "#" else chr(65 + rng.randrange(26)), pattern
    )


def amount(rng: random.Random) -> str:
    """An amount of money, written in one of the ways people write it."""
    value = min(15000, max(12, round(rng.lognormvariate(6.0, 1.0))))
    style = rng.randrange(4)
    if style == 0:
        return f"{value:,} €".replace(",", " ")
    if style == 1:
        return f"{value} euros"
    if style == 2:
        return f"{value}€"
    return f"{value},{rng.randrange(100):02d} €"


def typos(rng: random.Random, text: str) -> str:
    """About 3 % of the words with a swapped, dropped or doubled letter."""
    words = text.split(" ")
    expected = len(words) * 0.03
    count = int(expected) + (rng.random() < expected - int(expected))
    for i in rng.sample(range(len(words)), min(count, len(words))):
        word = words[i]
        if len(word) < 4 or not word.isalpha():
            continue
        j = rng.randrange(1, len(word) - 1)
        op = rng.randrange(3)
        if op == 0:
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif op == 1:
            words[i] = word[:j] + word[j + 1 :]
        else:
            words[i] = word[:j] + word[j] + word[j:]
    return " ".join(words)


def shout(rng: random.Random, text: str) -> str:
    """The whole text, or one sentence of it, in capitals."""
    if rng.random() < 0.2:
        return text.upper()
    sentences = text.split(". ")
    i = rng.randrange(len(sentences))
    sentences[i] = sentences[i].upper()
    return ". ".join(sentences)
