"""Dev sets that look like the clustering failures of issue 10, built on the fly from ../shared/data.

Nothing here is copied into the repository: every set is rebuilt from the labelled CSVs, deterministically
for a seed. For each base (banking77 ~2,000, wikit_fr all 330, stackoverflow ~2,000, agnews ~2,000):

- ``plain``: the short texts as they are (subsampled);
- ``long``: each text glues 3–8 texts of one label (from the whole file, each text used once where the file
  allows) into paragraphs, with a greeting, filler sentences and a signature in the set's language, the way
  an upset citizen writes (median ≥ 180 characters); 40 % digress into another label for one part;
- ``mixed``: half short texts, half long ones, over the same labels;
- ``catchall``: the long set where ~35 % of the texts, drawn from every label, carry one catch-all label
  (« Autre », as in real contribution platforms);
- ``uneven``: short texts from the whole file with Zipf-like label sizes (label of rank r ~ 1/r**1.1), at
  most 2,000.

Embeddings are cached per text in ~/.cache/irritants-bench/texts/ (keyed by a hash of the encoder name and
the text), so sets that share texts share vectors and re-runs only read files.

    .venv/bin/python scripts/dev_sets.py --embed      # build every set, embed what is missing, print stats
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# ../shared/data next to the checkout (a worktree may sit one level deeper).
DATA = next(
    (p / "shared" / "data" for p in REPO.parents if (p / "shared" / "data").is_dir()), REPO.parent / "shared" / "data"
)
TEXT_CACHE = Path.home() / ".cache" / "irritants-bench" / "texts"

# base name -> (CSV file, rows kept, language, number of long texts)
BASES = {
    "banking77": ("banking77_train", 2000, "en", 600),
    "wikit_fr": ("wikit_fr_train", 330, "fr", 200),
    "stackoverflow": ("stackoverflow", 2000, "en", 600),
    "agnews": ("agnews", 2000, "en", 400),
}
KINDS = ("plain", "long", "mixed", "catchall", "uneven")
CATCHALL_SHARE = 0.35
ZIPF_EXPONENT = 1.1
MAX_ROWS = 2000
DIGRESSION_SHARE = 0.4

_FR = {
    "greet": ["Bonjour,", "Madame, Monsieur,", "Bonjour à vous,", "Bonsoir,", "Madame, Monsieur, bonjour."],
    "open": [
        "Je me permets de vous écrire car je suis à bout.",
        "Je vous contacte une nouvelle fois au sujet de ma situation.",
        "J'espère que quelqu'un lira ce message.",
        "Cela fait plusieurs semaines que j'essaie d'avoir une réponse.",
        "Je ne sais plus à qui m'adresser.",
        "J'ai déjà appelé trois fois et personne ne m'a rappelé.",
        "Je suis vraiment déçu de la manière dont les choses se passent.",
        "Je travaille et je n'ai pas le temps de me déplacer à chaque fois.",
        "On m'a renvoyé d'un service à l'autre sans jamais me répondre.",
    ],
    "link": ["Par ailleurs,", "De plus,", "Autre chose :", "Et aussi,", "Je précise que", "En plus de cela,"],
    "close": [
        "Merci d'avance pour votre réponse.",
        "Je reste dans l'attente d'une solution rapide.",
        "Je vous remercie de bien vouloir traiter ma demande.",
        "C'est vraiment inadmissible, j'attends un retour.",
        "Dans l'attente de votre retour, je vous prie d'agréer mes salutations distinguées.",
    ],
    "sign": ["Cordialement,\nMarie D.", "Bien à vous,\nJean-Pierre", "Salutations,\nM. Martin", "Cordialement"],
}
_EN = {
    "greet": ["Hello,", "Hi there,", "Dear support team,", "Good morning,", "To whom it may concern,"],
    "open": [
        "I am writing because I am really fed up.",
        "I hope someone actually reads this message.",
        "This is the third time I am contacting you about this.",
        "I have been trying to get an answer for weeks now.",
        "I don't know who else to ask.",
        "I already called three times and nobody called me back.",
        "I am really disappointed by the way things are handled.",
        "I work full time and cannot keep chasing this every day.",
        "I keep being sent from one department to another without an answer.",
    ],
    "link": ["Also,", "On top of that,", "Another thing:", "Besides,", "I should add that", "And"],
    "close": [
        "Thanks in advance for your help.",
        "I am waiting for a quick solution.",
        "Please look into this as soon as possible.",
        "This is really unacceptable, I expect an answer.",
        "Looking forward to hearing from you.",
    ],
    "sign": ["Best regards,\nMary D.", "Thanks,\nJohn", "Regards,\nA. Smith", "Kind regards"],
}


@dataclass(frozen=True)
class DevSet:
    name: str
    texts: list[str]
    labels: list[str]
    language: str


def _read(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def base_texts(base: str, data_dir: Path = DATA, seed: int = 0) -> tuple[list[str], list[str]]:
    """The base's short texts and labels, a seeded subsample of at most its row budget."""
    file, keep, _lang, _n_long = BASES[base]
    texts, labels = _read(data_dir / f"{file}.csv")
    if len(texts) > keep:
        pick = np.sort(np.random.default_rng([seed, 1]).choice(len(texts), size=keep, replace=False))
        texts, labels = [texts[i] for i in pick], [labels[i] for i in pick]
    return texts, labels


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text[-1:] in ".?!" else text + "."


def long_text(parts: list[str], language: str, rng: np.random.Generator) -> str:
    """One complaint-like text from several texts of one label: greeting, paragraphs, filler, signature."""
    words = _FR if language == "fr" else _EN
    pick = lambda key: words[key][int(rng.integers(len(words[key])))]  # noqa: E731
    paragraphs: list[list[str]] = [[]]
    # One to three filler sentences open the text, as in real complaints (they say nothing of the topic).
    for _ in range(int(rng.integers(1, 4))):
        paragraphs[0].append(pick("open"))
    for i, part in enumerate(parts):
        sentence = _sentence(part)
        if i and rng.random() < 0.35:
            link = pick("link")
            sentence = f"{link} {sentence[:1].lower()}{sentence[1:]}"
        if i and rng.random() < 0.4:
            paragraphs.append([])
        paragraphs[-1].append(sentence)
    paragraphs.append([pick("close") for _ in range(int(rng.integers(1, 3)))])
    body = "\n\n".join(" ".join(p) for p in paragraphs if p)
    head = pick("greet") + "\n\n" if rng.random() < 0.8 else ""
    tail = "\n\n" + pick("sign") if rng.random() < 0.6 else ""
    return head + body + tail


def long_texts(
    texts: list[str], labels: list[str], count: int, language: str, seed: int
) -> tuple[list[str], list[str]]:
    """count long texts, labels drawn in proportion to the pool; each glues 3–8 texts of its label.

    A label's texts are used in a seeded order, each once before any is used again (only the small French set
    runs out), so two long texts rarely share a sentence. Like real contributions, 40 % of them also digress:
    one of their parts (never the first) comes from another label.
    """
    rng = np.random.default_rng([seed, 2])
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    queues = {label: list(rng.permutation(pool)) for label, pool in by_label.items()}
    out_texts, out_labels = [], []
    for i in rng.choice(len(texts), size=count, replace=False):
        label = labels[i]
        m = int(rng.integers(3, 9))
        parts = []
        for _ in range(m):
            if not queues[label]:
                queues[label] = list(rng.permutation(by_label[label]))
            parts.append(texts[queues[label].pop()])
        if rng.random() < DIGRESSION_SHARE:
            other = int(rng.integers(len(texts)))
            if labels[other] != label:
                parts[int(rng.integers(1, m))] = texts[other]
        out_texts.append(long_text(parts, language, rng))
        out_labels.append(label)
    return out_texts, out_labels


def with_catchall(labels: list[str], share: float, seed: int) -> list[str]:
    """A copy of labels where a seeded share of the items, from all labels alike, carry one catch-all label."""
    rng = np.random.default_rng([seed, 3])
    moved = set(rng.choice(len(labels), size=round(share * len(labels)), replace=False).tolist())
    return ["catch-all" if i in moved else label for i, label in enumerate(labels)]


def zipf_subsample(labels: list[str], exponent: float, seed: int) -> np.ndarray:
    """Indices keeping, for the label of rank r (labels in a seeded order), ~ n_max / r**exponent items (≥ 3)."""
    rng = np.random.default_rng([seed, 4])
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    names = sorted(by_label)
    rng.shuffle(names)
    top = max(len(v) for v in by_label.values())
    keep: list[int] = []
    for rank, name in enumerate(names, start=1):
        pool = by_label[name]
        size = min(len(pool), max(3, round(top / rank**exponent)))
        keep.extend(rng.choice(pool, size=size, replace=False).tolist())
    return np.sort(np.asarray(keep))


def build(base: str, kind: str, data_dir: Path = DATA, seed: int = 0) -> DevSet:
    """One dev set, e.g. build("wikit_fr", "long")."""
    _file, _keep, language, n_long = BASES[base]
    texts, labels = base_texts(base, data_dir, seed)
    name = f"{base}/{kind}"
    if kind == "plain":
        return DevSet(name, texts, labels, language)
    if kind == "uneven":
        # From the whole file (a subsample's labels are too even to leave room), at most MAX_ROWS texts.
        texts, labels = _read(data_dir / f"{_file}.csv")
        keep = zipf_subsample(labels, ZIPF_EXPONENT, seed)
        if keep.shape[0] > MAX_ROWS:
            keep = np.sort(np.random.default_rng([seed, 6]).choice(keep, size=MAX_ROWS, replace=False))
        return DevSet(name, [texts[i] for i in keep], [labels[i] for i in keep], language)
    # Long texts come from the whole file, so that they share as few sentences as possible.
    long_t, long_l = long_texts(*_read(data_dir / f"{_file}.csv"), n_long, language, seed)
    if kind == "long":
        return DevSet(name, long_t, long_l, language)
    if kind == "catchall":
        return DevSet(name, long_t, with_catchall(long_l, CATCHALL_SHARE, seed), language)
    if kind == "mixed":
        rng = np.random.default_rng([seed, 5])
        half = len(long_t) // 2
        short = rng.choice(len(texts), size=half, replace=False)
        longs = rng.choice(len(long_t), size=half, replace=False)
        return DevSet(
            name,
            [texts[i] for i in short] + [long_t[i] for i in longs],
            [labels[i] for i in short] + [long_l[i] for i in longs],
            language,
        )
    raise ValueError(f"unknown kind {kind!r}")


def all_sets(
    data_dir: Path = DATA, seed: int = 0, kinds: tuple[str, ...] = KINDS, bases: list[str] | None = None
) -> Iterator[DevSet]:
    for base in bases or BASES:
        for kind in kinds:
            yield build(base, kind, data_dir, seed)


# ------------------------------------------------------------------------------------------------ embeddings


def _text_key(encoder_name: str, text: str) -> str:
    return hashlib.blake2b(f"{encoder_name}\0{text}".encode(), digest_size=12).hexdigest()


class TextCache:
    """Vectors by (encoder, text) in append-only chunk files: a set re-uses every vector already computed."""

    def __init__(self, encoder_name: str, root: Path = TEXT_CACHE) -> None:
        self.name = encoder_name
        # An encoder that reads less than the whole text (``...-read400``) gives the whole-text vector of every text
        # it does not cut: those share the full reader's cache, only cut texts are keyed by the reader's name.
        self.model, _, read = encoder_name.partition("-read")
        self.read = int(read) if read.isdigit() else None
        self.root = root / hashlib.blake2b(self.model.encode(), digest_size=6).hexdigest()
        self.vectors: dict[str, np.ndarray] = {}
        for path in sorted(self.root.glob("chunk-*.npz")):
            with np.load(path) as chunk:
                self.vectors.update(zip(chunk["keys"].tolist(), chunk["vectors"], strict=True))

    def key(self, text: str) -> str:
        if self.read is not None and len(" ".join(text.split())) > self.read:
            return _text_key(self.name, text)
        return _text_key(self.model, text)

    def embed(self, encoder, texts: list[str], *, batch: int = 256, log=print) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        if missing:
            todo = {k: t for k, t in zip(keys, texts, strict=True) if k in set(missing)}
            log(f"   embedding {len(missing)} texts (cached in {self.root})…")
            start = time.perf_counter()
            for lo in range(0, len(missing), batch):
                chunk_keys = missing[lo : lo + batch]
                vecs = encoder.encode([todo[k] for k in chunk_keys])
                self.root.mkdir(parents=True, exist_ok=True)
                path = self.root / f"chunk-{_text_key(self.model, ''.join(chunk_keys))}.npz"
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, keys=np.asarray(chunk_keys), vectors=vecs)
                tmp.replace(path)
                self.vectors.update(zip(chunk_keys, vecs, strict=True))
                done = lo + len(chunk_keys)
                log(f"   … {done}/{len(missing)} in {time.perf_counter() - start:.0f} s")
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embed", action="store_true", help="embed (and cache) every text of every set")
    parser.add_argument("--show", help="print a few texts of one set, e.g. wikit_fr/long")
    parser.add_argument("--bases", nargs="*", default=list(BASES), help="bases to build, in this order")
    args = parser.parse_args()
    if args.show:
        base, kind = args.show.split("/")
        ds = build(base, kind, args.data_dir, args.seed)
        for text, label in list(zip(ds.texts, ds.labels, strict=True))[:3]:
            print(f"--- {label}\n{text}\n")
        return
    cache = None
    if args.embed:
        sys.path.insert(0, str(REPO))
        from irritants.clustering import get_encoder

        encoder = get_encoder("embedding")
        cache = TextCache(encoder.name)
    print(f"{'set':24} {'n':>5} {'k':>4} {'median chars':>12} {'largest label %':>15} {'smallest':>8}")
    for ds in all_sets(args.data_dir, args.seed, bases=args.bases):
        _, counts = np.unique(ds.labels, return_counts=True)
        lengths = [len(t) for t in ds.texts]
        print(
            f"{ds.name:24} {len(ds.texts):5d} {len(counts):4d} {np.median(lengths):12.0f} "
            f"{100 * counts.max() / counts.sum():15.1f} {counts.min():8d}",
            flush=True,
        )
        if cache is not None:
            cache.embed(encoder, ds.texts)


if __name__ == "__main__":
    main()
