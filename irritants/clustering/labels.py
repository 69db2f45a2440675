"""Cluster descriptions: distinctive keywords (class-based TF-IDF), a short French label, representative reports."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer

from irritants.clustering.text import fold, is_filler, segments, stem


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """What a product owner sees of a cluster before opening it."""

    cluster: int
    size: int
    label: str
    keywords: tuple[str, ...]
    representatives: tuple[int, ...]


# Words that may link the two words of a keyword (« titre de séjour », « carte d'identité », « aide au logement »).
_LINKERS = frozenset({"de", "du", "des", "d'", "à", "au", "aux", "en"})
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*'?")


def shouted(text: str) -> bool:
    """Whether a text is mostly written in capitals (its words' casing then says nothing)."""
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 8 and sum(ch.isupper() for ch in letters) > 0.6 * len(letters)


def _form(word: str, loud: bool) -> str:
    # Acronyms keep their capitals (« CAF », « RSA ») unless the whole text shouts; other words are lower-cased.
    return word if not loud and word.isupper() and 2 <= len(word) <= 6 else word.lower()


def phrases(text: str, language: str = "french") -> list[list[tuple[str, str]]]:
    """A text's runs of (stem, shown form) content words, split at punctuation, numbers and non-linking words;
    a linking word (« de », « d' », « au »…) is kept inside a run as (``""``, its form)."""
    loud = shouted(text)
    runs: list[list[tuple[str, str]]] = []
    for segment in segments(text):
        run: list[tuple[str, str]] = []
        for word in _WORD.findall(segment):
            lowered = word.lower()
            if lowered in _LINKERS:
                if run and run[-1][0]:
                    run.append(("", lowered))
                continue
            bare = lowered.rstrip("'")
            if len(bare) < 3 or is_filler(bare):
                if run:
                    runs.append(run)
                run = []
                continue
            run.append((stem(fold(bare), language), _form(word.rstrip("'"), loud)))
        if run:
            runs.append(run)
    return runs


def _analyse(text: str, language: str, display: dict[str, Counter[str]]) -> list[str]:
    # Terms are stems (so "rendez-vous"/"rendez vous" variants pool), shown by their commonest spelling; two-word
    # terms are words next to each other in the text, possibly linked by « de », « d' », « au »…
    out: list[str] = []
    for run in phrases(text, language):
        words = [(i, key, shown) for i, (key, shown) in enumerate(run) if key]
        for _, key, shown in words:
            display[key][shown] += 1
            out.append(key)
        for (i, a, shown_a), (j, b, shown_b) in itertools.pairwise(words):
            if a == b or j - i > 2:
                continue
            linker = run[i + 1][1] if j - i == 2 else ""
            between = shown_a + (" " + linker if linker else "") + ("" if linker.endswith("'") else " ") + shown_b
            display[f"{a} {b}"][between] += 1
            out.append(f"{a} {b}")
    return out


def _shown(term: str, display: dict[str, Counter[str]]) -> str:
    return display[term].most_common(1)[0][0]


@dataclass(frozen=True, slots=True)
class _Terms:
    clusters: np.ndarray
    terms: np.ndarray
    score: np.ndarray
    counts: np.ndarray
    display: dict[str, Counter[str]]


def _ctfidf(texts: Sequence[str], labels: np.ndarray, language: str) -> _Terms | None:
    """Class-based TF-IDF of every term in every cluster: tf × log(1 + mean class size / term frequency)."""
    if len(texts) != labels.shape[0]:
        raise ValueError("texts and labels must have the same length")
    clusters = np.unique(labels[labels >= 0])
    display: dict[str, Counter[str]] = defaultdict(Counter)
    vectorizer = CountVectorizer(analyzer=lambda t: _analyse(t, language, display), binary=True)
    try:
        docs = vectorizer.fit_transform(texts)
    except ValueError:  # no usable word at all
        return None
    rows = np.searchsorted(clusters, labels[labels >= 0])
    member = csr_matrix(
        (np.ones(rows.shape[0]), (rows, np.flatnonzero(labels >= 0))), shape=(clusters.size, labels.shape[0])
    )
    counts = np.asarray((member @ docs).todense(), dtype=np.float64)
    sizes = np.bincount(rows, minlength=clusters.size).astype(np.float64)
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    idf = np.log1p(counts.sum(axis=1).mean() / np.maximum(counts.sum(axis=0), 1.0))
    score = tf * idf
    # A term seen in a single report of a larger cluster is an anecdote, not what the cluster is about; in a large
    # cluster, so is a term of fewer than one report in twenty (a context sentence some citizens add).
    score[(counts < np.maximum(2, np.ceil(0.05 * sizes))[:, None]) & (sizes[:, None] >= 3)] = 0.0
    return _Terms(clusters, vectorizer.get_feature_names_out(), score, counts, display)


def _pick(terms: _Terms, row: int, top_n: int) -> list[str]:
    """The best terms of one cluster, each stem once: a two-word term takes the place of the word it extends when
    it is how that word is usually written (« titre de séjour » rather than « titre »)."""
    score, counts = terms.score[row], terms.counts[row]
    # Terms far weaker than the best one are what a few reports add around the complaint, not the irritant.
    floor = max(float(score.max(initial=0.0)) * KEYWORD_FLOOR, 0.0)
    ranked = sorted(np.flatnonzero((score > 0) & (score >= floor)), key=lambda j: (-score[j], terms.terms[j]))
    chosen: list[tuple[set[str], int]] = []
    for j in ranked:
        stems = set(str(terms.terms[j]).split(" "))
        overlapping = [k for k, (seen, _) in enumerate(chosen) if seen & stems]
        if overlapping:
            words = [chosen[k] for k in overlapping]
            # Single words give way to the pair that holds them when the pair is at least half of their uses.
            if len(stems) == 2 and all(len(seen) == 1 and counts[j] * 2 >= counts[kept] for seen, kept in words):
                chosen[overlapping[0]] = (stems, j)
                for k in reversed(overlapping[1:]):
                    del chosen[k]
            continue
        chosen.append((stems, j))
        if len(chosen) == top_n:
            break
    return [_shown(str(terms.terms[j]), terms.display) for _, j in chosen]


def keywords(
    texts: Sequence[str], labels: Sequence[int] | np.ndarray, *, top_n: int = 8, language: str = "french"
) -> dict[int, list[str]]:
    """Top terms of each cluster against the others (class-based TF-IDF), without filler words (« dit », « trois »)."""
    labels = np.asarray(labels)
    terms = _ctfidf(texts, labels, language)
    if terms is None:
        return {int(c): [] for c in np.unique(labels[labels >= 0])}
    return {int(cluster): _pick(terms, row, top_n) for row, cluster in enumerate(terms.clusters)}


WEIGHTED_TERMS = 30
KEYWORD_FLOOR = 0.35


@dataclass(frozen=True, slots=True)
class ClusterTerms:
    """A cluster's keywords and how distinctive each of its terms is (stem, or two stems joined by a space)."""

    keywords: list[str]
    weights: dict[str, float]


def cluster_terms(
    texts: Sequence[str], labels: Sequence[int] | np.ndarray, *, top_n: int = 8, language: str = "french"
) -> dict[int, ClusterTerms]:
    """Keywords and term weights of each cluster from one pass (the weights tell a title which clause to keep)."""
    labels = np.asarray(labels)
    terms = _ctfidf(texts, labels, language)
    if terms is None:
        return {int(c): ClusterTerms([], {}) for c in np.unique(labels[labels >= 0])}
    out: dict[int, ClusterTerms] = {}
    for row, cluster in enumerate(terms.clusters):
        # Only the most distinctive terms steer a title: many faint ones would favour long, wordy clauses.
        hits = [j for j in np.argsort(-terms.score[row], kind="stable")[:WEIGHTED_TERMS] if terms.score[row, j] > 0]
        weights = {str(terms.terms[j]): float(terms.score[row, j]) for j in hits}
        out[int(cluster)] = ClusterTerms(_pick(terms, row, top_n), weights)
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


def representatives(
    vectors: np.ndarray, labels: Sequence[int] | np.ndarray, *, per_cluster: int = 2
) -> dict[int, list[int]]:
    """Indices of the reports closest to each cluster's centroid (cosine), best first."""
    vectors = np.asarray(vectors, dtype=np.float32)
    labels = np.asarray(labels)
    out: dict[int, list[int]] = {}
    for cluster in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == cluster)
        centroid = vectors[members].mean(axis=0)
        sims = vectors[members] @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
        best = np.lexsort((members, -sims))[:per_cluster]
        out[int(cluster)] = [int(i) for i in members[best]]
    return out


def describe(
    texts: Sequence[str],
    vectors: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    top_n: int = 8,
    per_cluster: int = 2,
    language: str = "french",
) -> list[ClusterSummary]:
    """Label, keywords and representative reports of every cluster, largest first."""
    labels = np.asarray(labels)
    words = keywords(texts, labels, top_n=top_n, language=language)
    reps = representatives(vectors, labels, per_cluster=per_cluster)
    sizes = Counter(int(c) for c in labels if c >= 0)
    return [
        ClusterSummary(
            cluster=c,
            size=sizes[c],
            label=short_label(words.get(c, [])),
            keywords=tuple(words.get(c, [])),
            representatives=tuple(reps[c]),
        )
        for c in sorted(sizes, key=lambda c: (-sizes[c], c))
    ]


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
