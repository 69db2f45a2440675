"""The keywords and titles of irritants as computed before issue 10 (commit 8931f83), frozen here so that
scripts/eval_titles.py can print "before" next to "after" on the same demo catalogue. Measurement only."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer

from irritants.clustering.text import _ELISION, _EMAIL, _LIGATURES, _NUMBER, _PHONE, _URL, STOP_WORDS, fold, stem


def surface_tokens(text: str) -> list[str]:
    lowered = _ELISION.sub(" ", text.translate(_LIGATURES).lower())
    lowered = _NUMBER.sub(" ", _PHONE.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", lowered))))
    words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", lowered)
    return [w for w in words if len(w) >= 3 and fold(w) not in STOP_WORDS]


def _analyse(text: str, language: str, display: dict[str, Counter[str]]) -> list[str]:
    # Terms are stems (so "rendez-vous"/"rendez vous"/"rdv…" variants pool), shown by their commonest spelling.
    words = surface_tokens(text)
    stems = [stem(fold(w), language) for w in words]
    for word, key in zip(words, stems, strict=True):
        display[key][word] += 1
    return stems + [f"{a} {b}" for a, b in itertools.pairwise(stems) if a != b]


def _shown(term: str, display: dict[str, Counter[str]]) -> str:
    return " ".join(display[part].most_common(1)[0][0] for part in term.split(" "))


def keywords(
    texts: Sequence[str], labels: Sequence[int] | np.ndarray, *, top_n: int = 8, language: str = "french"
) -> dict[int, list[str]]:
    """Top terms of each cluster against the others: c-TF-IDF, tf × log(1 + mean class size / term frequency)."""
    labels = np.asarray(labels)
    if len(texts) != labels.shape[0]:
        raise ValueError("texts and labels must have the same length")
    clusters = np.unique(labels[labels >= 0])
    if clusters.size == 0:
        return {}
    display: dict[str, Counter[str]] = defaultdict(Counter)
    vectorizer = CountVectorizer(analyzer=lambda t: _analyse(t, language, display), binary=True)
    try:
        docs = vectorizer.fit_transform(texts)
    except ValueError:  # no usable word at all
        return {int(c): [] for c in clusters}
    rows = np.searchsorted(clusters, labels[labels >= 0])
    member = csr_matrix(
        (np.ones(rows.shape[0]), (rows, np.flatnonzero(labels >= 0))), shape=(clusters.size, labels.shape[0])
    )
    counts = np.asarray((member @ docs).todense(), dtype=np.float64)
    sizes = np.bincount(rows, minlength=clusters.size).astype(np.float64)
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    idf = np.log1p(counts.sum(axis=1).mean() / np.maximum(counts.sum(axis=0), 1.0))
    score = tf * idf
    # A term seen in a single report of a larger cluster is an anecdote, not what the cluster is about.
    score[(counts < 2) & (sizes[:, None] >= 3)] = 0.0
    terms = vectorizer.get_feature_names_out()
    out: dict[int, list[str]] = {}
    for row, cluster in enumerate(clusters):
        ranked = sorted(np.flatnonzero(score[row] > 0), key=lambda j: (-score[row, j], terms[j]))
        chosen: list[str] = []
        for j in ranked:
            shown = _shown(str(terms[j]), display)
            if shown not in chosen and not any(shown in c.split(" ") for c in chosen):
                chosen.append(shown)
            if len(chosen) == top_n:
                break
        out[int(cluster)] = chosen
    return out


def short_label(words: Sequence[str], *, max_terms: int = 3, max_chars: int = 60) -> str:
    """Short French label from keywords, e.g. "Rendez-vous · titre de séjour · préfecture"."""
    parts: list[str] = []
    for word in words:
        if len(" · ".join([*parts, word])) > max_chars or len(parts) == max_terms:
            break
        parts.append(word)
    if not parts:
        return "Signalements divers"
    text = " · ".join(parts)
    return text[0].upper() + text[1:]


_GREETING = re.compile(
    r"^\s*(?:(?:bonjour|bonsoir|madame|monsieur|mesdames|messieurs|salut|hello|svp|s'il vous pla[iî]t)[\s,.!:;-]*)+",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def headline(text: str, *, max_chars: int = 80, keywords: Sequence[str] = ()) -> str:
    """A readable title from a representative report, cut on a word: its first sentence without greetings, or,
    given the cluster's keywords, its first sentence that holds one (« Je vous écris en dernier recours. » names
    no irritant)."""
    body = _GREETING.sub("", " ".join(text.split()))
    sentences = [s.strip() for s in _SENTENCE_END.split(body) if s.strip()] or [body.strip()]
    first = sentences[0]
    wanted = {word for keyword in keywords for word in fold(keyword).split() if len(word) >= 4}
    if wanted:
        first = next((s for s in sentences if wanted & set(re.findall(r"[\w'-]+", fold(s)))), first)
    if len(first) > max_chars:
        first = first[:max_chars].rsplit(" ", 1)[0].rstrip(",;:-") + "…"
    return first[:1].upper() + first[1:]
