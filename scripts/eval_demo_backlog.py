"""The demo backlog's top 20, judged against the true irritant of each demo report.

Builds the demo as ``irritants setup --demo-reports N`` does (same generator, seed 42 by default), on a temporary
SQLite database through the app: référentiel, demo reports, e5 vectors (cached per text in
~/.cache/irritants-bench/texts like scripts/dev_sets.py, stored as the service stores them), the batch run
(``clusters.recluster.recluster``) and the ranking (``clusters.stats.refresh``, then the backlog's own query). For
the top 20 it prints each irritant's title, size, majority true irritant (administration × démarche × theme of
irritants/intake/demo_catalogue.json) and purity, then the figures:

- **same irritant**: pairs of the top 20 whose majority true irritant is the same (a product owner would merge
  them); **same theme**: pairs whose majority theme is the same whatever the démarche (a looser judge);
- **filler**: titles that are one of the generator's added sentences (scripts/eval_titles.py's judge);
- NMI / ARI / ACC of the whole partition against the true irritants, and the number of irritants.

``--merge`` runs the batch with the merge of same-irritant groups at these thresholds (``off`` for none), side by
side on the same database and vectors.

    .venv/bin/python scripts/eval_demo_backlog.py                                  # 2,000 reports, seed 42
    .venv/bin/python scripts/eval_demo_backlog.py --rows 2000 5000 --seeds 42 7 --merge off default --quiet
"""

from __future__ import annotations

import argparse
import collections
import itertools
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import dev_sets  # noqa: E402
import eval_titles  # noqa: E402
from sqlalchemy import select  # noqa: E402

from irritants import create_app, migrate  # noqa: E402
from irritants.clustering import scores  # noqa: E402
from irritants.clusters import engine, recluster, stats  # noqa: E402
from irritants.clusters.models import ReportVector  # noqa: E402
from irritants.db import get_db, utcnow  # noqa: E402
from irritants.intake import demo  # noqa: E402
from irritants.intake.bulk import ReferenceMaps, insert_reports  # noqa: E402
from irritants.intake.models import Report, Source  # noqa: E402
from irritants.referential.services import load_reference_data  # noqa: E402
from irritants.settings import settings_of  # noqa: E402
from irritants.triage.backlog import BacklogFilters, backlog  # noqa: E402

TOP = 20
SECRET = "eval-demo-backlog-not-a-secret"


@dataclass
class Demo:
    """A demo database with its reports' true irritants."""

    app: object
    report_ids: np.ndarray
    truth: np.ndarray  # underlying irritant id, per report (in report id order)
    names: dict[int, str]  # underlying id -> "admin / démarche / theme"
    themes: dict[int, str]  # underlying id -> "admin / theme" (whatever the démarche)
    vectors: np.ndarray


def build(n: int, seed: int, directory: Path, log=print) -> Demo:
    """A migrated SQLite database with the référentiel, n demo reports as ``setup`` makes them, and their vectors."""
    url = f"sqlite:///{directory / f'demo-{n}-{seed}.sqlite3'}"
    migrate.upgrade(url)
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "CLUSTERING_ENCODER": "embedding",
            "PRELOAD_ENCODER": False,
        }
    )
    settings = settings_of(app)
    _, by_templates, _, _ = eval_titles.catalogue()
    with app.app_context(), get_db(app).session_scope() as session:
        load_reference_data(session)
        session.flush()
        maps = ReferenceMaps.load(session)
        territories, channels = sorted(maps.territories), sorted(maps.channels)
        # As the demo-data command (seed 42 under setup), with a fixed date so that runs of one day agree.
        now = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        rows = list(
            demo.generate_reports(
                n,
                seed=seed,
                administrations=maps.procedures_by_admin,
                territories=territories,
                channels=channels,
                now=now,
            )
        )
        insert_reports(session, rows, maps, source=Source.DEMO, secret_key=SECRET, retention_days=365)
        session.flush()
        stored = session.execute(select(Report.id, Report.description).order_by(Report.id)).all()
        assert [r.description for r in stored] == [r["description"] for r in rows], "reports came back reordered"
        irritants, _ = demo._build(maps.procedures_by_admin, territories, channels, random.Random(seed))
        encoder = engine.current_encoder(session, settings.clustering)
        cache = dev_sets.TextCache(encoder.name)
        vectors = cache.embed(encoder, [r.description for r in stored], log=log)
        session.execute(
            ReportVector.__table__.insert(),
            [
                {
                    "report_id": r.id,
                    "encoder": encoder.name,
                    "dim": int(v.shape[0]),
                    "vector": engine.to_bytes(v),
                    "created_at": now,
                }
                for r, v in zip(stored, vectors, strict=True)
            ],
        )
        session.commit()
    names, themes = {}, {}
    for irritant in irritants:
        key = by_templates[irritant.templates]
        names[irritant.uid] = f"{irritant.admin} / {irritant.procedure or '-'} / {key}"
        themes[irritant.uid] = f"{irritant.admin} / {key}"
    return Demo(
        app,
        np.array([r.id for r in stored], dtype=np.int64),
        np.array([r["underlying_id"] for r in rows], dtype=np.int64),
        names,
        themes,
        vectors,
    )


def run(d: Demo, merge: str, *, show: bool, added: set[str]) -> dict[str, float]:
    """One batch run (merge "off", "default" or a threshold) on the demo database, ranked; the figures."""
    settings = settings_of(d.app)
    kwargs = {} if merge == "default" else {"merge_threshold": None if merge == "off" else float(merge)}
    start = time.perf_counter()
    with d.app.app_context(), get_db(d.app).session_scope() as session:
        recluster.recluster(session, settings.clustering, seed=settings.clustering.seed, **kwargs)
        stats.refresh(session, settings.ranking.weights)
        session.commit()
        wall = time.perf_counter() - start
        top = backlog(session, BacklogFilters(page_size=TOP)).items
        assigned = dict(session.execute(select(Report.id, Report.cluster_id)).all())
        titles = {c.id: c.label for c in top}
    labels = np.array([assigned[int(i)] for i in d.report_ids], dtype=np.int64)
    majority, purity = {}, {}
    for c in titles:
        members = d.truth[labels == c]
        uid, count = collections.Counter(members.tolist()).most_common(1)[0]
        majority[c], purity[c] = uid, count / len(members)
    if show:
        for rank, c in enumerate(titles, start=1):
            size = int((labels == c).sum())
            print(f"  {rank:2d} {size:4d} {100 * purity[c]:3.0f} % {d.names[majority[c]]:52.52s} | {titles[c]}")
    pairs = list(itertools.combinations(titles, 2))
    same = [(a, b) for a, b in pairs if majority[a] == majority[b]]
    same_theme = [(a, b) for a, b in pairs if d.themes[majority[a]] == d.themes[majority[b]]]
    if show:
        for a, b in same:
            print(f"     same irritant: « {titles[a]} » and « {titles[b]} »")
    got = scores(d.truth, labels)
    return {
        "irritants": float(np.unique(labels).shape[0]),
        "true": float(np.unique(d.truth).shape[0]),
        "same": len(same),
        "same theme": len(same_theme),
        "filler": sum(eval_titles.is_filler(t, added) for t in titles.values()),
        "purity": float(np.mean(list(purity.values()))),
        "nmi": got["nmi"],
        "ari": got["ari"],
        "acc": got["acc"],
        "seconds": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="*", default=[2000])
    parser.add_argument("--seeds", type=int, nargs="*", default=[42])
    parser.add_argument("--merge", nargs="*", default=["default"], help="off, default or centred-cosine thresholds")
    parser.add_argument("--quiet", action="store_true", help="figures only, not the top 20")
    args = parser.parse_args()
    added = eval_titles.catalogue()[3]
    table = []
    with tempfile.TemporaryDirectory(prefix="eval-demo-backlog-") as tmp:
        for n in args.rows:
            for seed in args.seeds:
                d = build(n, seed, Path(tmp), log=lambda *a: print(*a, file=sys.stderr))
                for merge in args.merge:
                    if not args.quiet:
                        print(f"\n{n} reports, seed {seed}, merge {merge}: top {TOP}")
                    f = run(d, merge, show=not args.quiet, added=added)
                    line = (
                        f"| {n} | {seed} | {merge} | {f['irritants']:.0f} / {f['true']:.0f} | {f['same']} | "
                        f"{f['same theme']} | {f['filler']} | {100 * f['purity']:.0f} % | {100 * f['nmi']:.1f} | "
                        f"{100 * f['ari']:.1f} | {100 * f['acc']:.1f} | {f['seconds']:.0f} |"
                    )
                    table.append(line)
                    print(line, flush=True)
                get_db(d.app).dispose()
    print(
        f"\n| reports | seed | merge | irritants / true | top {TOP}: same irritant pairs | same theme pairs | "
        "filler titles | mean purity | NMI | ARI | ACC | batch s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(table))


if __name__ == "__main__":
    main()
