"""Do irritant titles name their theme? Measured on the demo catalogue, before (commit 8931f83) and after issue 10.

Demo reports are drawn from known underlying irritants (administration × démarche × theme of
irritants/intake/demo_catalogue.json). They are grouped twice: by their true irritant ("true groups": the title
alone is judged) and by the product's batch clustering on TF-IDF vectors ("product groups"). Each group is
judged against the theme of most of its reports.

A title **names its theme** when, folded and stemmed, it holds at least one distinctive word of that theme:
a word of the theme's key (« rsa-bloque » → rsa, bloque; « iban-etranger » → iban, etranger), a word of the
démarche's name that is not generic (« Demande de RSA » → rsa; not « demande », « déclaration », « aide »…), or
one of the five words that best tell the theme's own templates from the other themes' (plain TF-IDF over the
catalogue, independent of the product's keywords). It **names the blockage** when it holds a word of the key.
A title is **filler** when it (or its part after « : ») is one of the sentences the generator adds around the
complaint (openers, contexts, follow-ups, contact lines, closings), or has no word but stop words.
A keyword is **noise** when one of its words is not a word of the theme: of its templates, its démarche's name or the
names citizens give its administration (words of added sentences, typos, text-speak).

    .venv/bin/python scripts/eval_titles.py                       # 200, 1,000 and 2,000 reports, seeds 0-2
    .venv/bin/python scripts/eval_titles.py --rows 1000 --seeds 0 --show 20
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import random
import re
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import legacy_titles  # noqa: E402

from irritants.clustering import TfidfEncoder, cluster_terms, cluster_vectors, title  # noqa: E402
from irritants.clustering.text import STOP_WORDS, fold, stem  # noqa: E402
from irritants.intake import demo  # noqa: E402
from irritants.intake.redaction import redact  # noqa: E402
from irritants.referential.services import bundled_codes  # noqa: E402

KEYWORD_SAMPLE, TITLE_SOURCES = 300, 12  # as irritants/clusters/recluster.py and describing.py
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
GENERIC = {"demande", "declaration", "dossier", "changement", "situation", "aide", "allocation", "prestation", "carte"}
WORD = re.compile(r"[^\W\d_]+")
NOISE_LOG: dict[str, collections.Counter] | None = None


def stems(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(fold(text)) if len(w) >= 2 and w not in STOP_WORDS}


def catalogue() -> tuple[dict, dict[tuple[str, ...], str], dict[str, set[str]], set[str]]:
    """The catalogue, theme key by templates, five distinctive template stems per theme, the added sentences."""
    cat = json.loads((REPO / "irritants/intake/demo_catalogue.json").read_text(encoding="utf-8"))
    themes = [t for a in cat["administrations"].values() for t in a.get("themes", [])] + cat["generic_themes"]
    by_templates = {tuple(t["templates"]): t["key"] for t in themes}
    docs: dict[str, str] = collections.defaultdict(str)
    for theme in themes:
        docs[theme["key"]] += " " + " ".join(theme["templates"])
    keys = sorted(docs)
    tfidf = TfidfVectorizer(analyzer=lambda text: [s for s in (stem(w) for w in WORD.findall(fold(text))) if
                                                   len(s) >= 3 and s not in STOP_WORDS])  # fmt: skip
    matrix = tfidf.fit_transform([re.sub(r"\{\w+\}", " ", docs[k]) for k in keys]).toarray()
    vocab = tfidf.get_feature_names_out()
    distinctive = {k: {str(vocab[j]) for j in np.argsort(-matrix[i])[:5]} for i, k in enumerate(keys)}
    added = [*cat["openings"], *cat["contexts"], *cat["followups"], *cat["contacts"], *cat["closings"]]
    return cat, by_templates, distinctive, {" ".join(WORD.findall(fold(s))) for s in added}


def is_filler(text: str, added: set[str]) -> bool:
    """Whether a title (or its part after « : ») is one of the generator's added sentences, or only stop words."""
    body = text.split(" : ", 1)[-1]
    folded = {" ".join(WORD.findall(fold(part))) for part in (text, body)}
    return bool(folded & added or not stems(body))


def procedure_names() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    data = json.loads((REPO / "irritants/referential/data/administrations.json").read_text(encoding="utf-8"))
    procedures = {(a["slug"], p["slug"]): p["name"] for a in data for p in a.get("procedures", [])}
    return procedures, {a["slug"]: a.get("acronym") or a["name"] for a in data}


def dominant(values: list) -> object | None:
    counts = collections.Counter(v for v in values if v)
    if not counts:
        return None
    best, count = counts.most_common(1)[0]
    return best if count * 2 >= len(values) else None


def central_order(vectors: np.ndarray, members: np.ndarray) -> np.ndarray:
    centroid = vectors[members].mean(axis=0)
    sims = vectors[members] @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
    return members[np.lexsort((members, -sims))]


def run(n: int, seed: int, grouping: str, show: int) -> dict[str, dict[str, float]]:
    _, by_templates, distinctive, added = catalogue()
    procedures, admin_names = procedure_names()
    admins, territories, channels = bundled_codes()
    reports = list(
        demo.generate_reports(n, seed=seed, administrations=admins, territories=territories, channels=channels, now=NOW)
    )
    irritants, _ = demo._build(admins, sorted(set(territories)), sorted(set(channels)), random.Random(seed))
    texts = [r["description"] for r in reports]
    truth = np.array([r["underlying_id"] for r in reports])
    encoder = TfidfEncoder()
    encoder.fit(texts)
    vectors = encoder.encode(texts)
    if grouping == "true":
        labels = truth
    else:
        keys = [[f"a{r['administration']}" for r in reports], [f"p{r['procedure']}" for r in reports]]
        labels = cluster_vectors(vectors, seed=0, soft_keys=keys)
    groups = sorted(np.unique(labels), key=lambda g: (-(labels == g).sum(), g))
    order = {int(g): central_order(vectors, np.flatnonzero(labels == g)) for g in groups}
    sample = np.sort(np.concatenate([order[int(g)][:KEYWORD_SAMPLE] for g in groups]))
    old_words = legacy_titles.keywords([texts[i] for i in sample], labels[sample], top_n=8)
    new_terms = cluster_terms([texts[i] for i in sample], labels[sample], top_n=8)

    tally: dict[str, collections.Counter] = {"before": collections.Counter(), "after": collections.Counter()}
    shown = 0
    for g in groups:
        members = order[int(g)]
        uid = collections.Counter(truth[members].tolist()).most_common(1)[0][0]
        irritant = irritants[uid]
        key = by_templates[irritant.templates]
        procedure_name = procedures.get((irritant.admin, irritant.procedure or ""), "")
        blockage = stems(key.replace("-", " "))
        named = (
            blockage
            | {stem(w) for w in WORD.findall(fold(procedure_name)) if w not in GENERIC and w not in STOP_WORDS}
            | distinctive[key]
        )
        # What the theme's own reports say: its templates, its démarche and how citizens name the administration.
        template_words = stems(" ".join([*irritant.templates, irritant.demarche, *irritant.spoken, procedure_name]))
        central = members[:TITLE_SOURCES]
        old_kw = old_words.get(int(g), [])
        old = legacy_titles.headline(redact(texts[central[0]]), keywords=old_kw) or legacy_titles.short_label(old_kw)
        found = new_terms.get(int(g))
        demarche = dominant(
            [procedures.get((reports[i]["administration"], reports[i]["procedure"] or "")) for i in central]
        )
        where = dominant([admin_names.get(reports[i]["administration"]) for i in central])
        new = title([redact(texts[i]) for i in central], found.weights, demarche=demarche, where=where,
                    keywords=found.keywords)  # fmt: skip
        for side, text, words in (("before", old, old_kw), ("after", new, found.keywords)):
            t = tally[side]
            t["irritants"] += 1
            title_stems = stems(text)
            t["names theme"] += bool(title_stems & named)
            t["names blockage"] += bool(title_stems & blockage)
            t["filler"] += is_filler(text, added)
            t["cut with …"] += text.endswith("…")
            t["keywords"] += len(words)
            noise = [w for w in words if not stems(w) <= template_words]
            t["noise keywords"] += len(noise)
            if NOISE_LOG is not None:
                NOISE_LOG[side].update(noise)
            if len(groups) >= 20 and groups.index(g) < 20:
                t["top 20"] += 1
                t["top 20 naming"] += bool(title_stems & named)
        if shown < show:
            print(f"  {len(members):4d} {key:32.32s} | {old}\n  {'':37s} → {new}")
            print(f"  {'':37s}   {', '.join(old_kw)}\n  {'':37s} → {', '.join(found.keywords)}")
            shown += 1
    return {
        side: {
            "irritants": t["irritants"],
            "names theme": t["names theme"] / t["irritants"],
            "names blockage": t["names blockage"] / t["irritants"],
            "filler": t["filler"] / t["irritants"],
            "cut with …": t["cut with …"] / t["irritants"],
            "noise keywords": t["noise keywords"] / max(t["keywords"], 1),
            "keywords per irritant": t["keywords"] / t["irritants"],
            "noise per irritant": t["noise keywords"] / t["irritants"],
            "top 20 naming": t["top 20 naming"] / max(t["top 20"], 1),
        }
        for side, t in tally.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="*", default=[200, 1000, 2000])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--grouping", nargs="*", default=["true", "product"], choices=("true", "product"))
    parser.add_argument("--show", type=int, default=0, help="print the titles of the N largest irritants")
    args = parser.parse_args()
    measures = ("names theme", "names blockage", "top 20 naming", "filler", "cut with …", "noise keywords")
    counts = ("keywords per irritant", "noise per irritant")
    header = " | ".join(f"{m}: before → after" for m in (*measures, *counts))
    print(f"| grouping | reports | irritants | {header} |")
    print("|---|---|---|" + "---|" * (len(measures) + len(counts)))
    for grouping in args.grouping:
        for n in args.rows:
            runs = [run(n, seed, grouping, args.show) for seed in args.seeds]
            mean = {
                side: {m: float(np.mean([r[side][m] for r in runs])) for m in ("irritants", *measures, *counts)}
                for side in ("before", "after")
            }
            cells = " | ".join(f"{100 * mean['before'][m]:.0f} % → {100 * mean['after'][m]:.0f} %" for m in measures)
            cells += "".join(f" | {mean['before'][m]:.1f} → {mean['after'][m]:.1f}" for m in counts)
            print(f"| {grouping} | {n} | {mean['after']['irritants']:.0f} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
