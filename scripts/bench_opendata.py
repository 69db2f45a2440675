"""Time of building the open dataset (``irritants opendata``) on a large table of reports.

``--reports`` reports (1,000,000 by default) spread over ``--weeks`` weeks, administrations, démarches, départements,
channels and severities (skewed as real inflows are: a few administrations and départements get most reports), and
``--clusters`` irritants (some fixed, so fix effects are measured), are inserted in bulk into a fresh, migrated
database (a temporary SQLite file, or ``--postgres URL`` in a new database dropped at the end). Then the script
prints the median and worst of ``--repeat`` runs of:

- ``SELECT count(*) FROM reports``: the floor, a full pass over the table;
- the weekly counts (``dataset.week_rows``: one GROUP BY in Paris weeks, counts under 10 dropped by HAVING);
- the whole build (``files.build``: both CSV files, the fix effects, the schemas), what the command and the first
  download of a quarter of an hour pay.

    .venv/bin/python scripts/bench_opendata.py --reports 200000
    .venv/bin/python scripts/bench_opendata.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_intake import fresh_postgres_database, prepare_database  # noqa: E402

CHUNK = 20_000
TODAY = dt.date(2026, 11, 18)


def _weights(n: int) -> list[float]:
    return [1 / (rank + 1) for rank in range(n)]


def fill(url: str, reports: int, clusters: int, weeks: int, seed: int) -> None:
    from sqlalchemy import insert, select

    from irritants import create_app
    from irritants.clusters.models import Cluster
    from irritants.db import get_db
    from irritants.intake.models import Report, Severity
    from irritants.referential.models import Administration, Channel, Procedure, Territory
    from irritants.status import StatusKind

    rng = random.Random(seed)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    database = get_db(app)
    with app.app_context(), database.session_scope() as session:
        admins = list(session.scalars(select(Administration.id).order_by(Administration.id)))
        procedures: dict[int, list[int | None]] = {a: [None] for a in admins}
        for procedure_id, admin_id in session.execute(select(Procedure.id, Procedure.administration_id)):
            procedures[admin_id].append(procedure_id)
        territories = list(session.scalars(select(Territory.code).order_by(Territory.code)))
        channels = list(session.scalars(select(Channel.code).order_by(Channel.position)))
        rng.shuffle(territories)
        statuses = [StatusKind.NEW, StatusKind.TRIAGED, StatusKind.PLANNED, StatusKind.IN_PROGRESS, StatusKind.FIXED]
        start = dt.datetime.combine(TODAY - dt.timedelta(weeks=weeks), dt.time(), tzinfo=dt.UTC)
        cluster_rows = []
        for n in range(clusters):
            status = rng.choice(statuses)
            fixed_on = (
                TODAY - dt.timedelta(days=rng.randrange(7, 7 * weeks // 2)) if status == StatusKind.FIXED else None
            )
            cluster_rows.append({"label": f"Irritant de banc d'essai n° {n}", "status": status, "size": 1, "people": 1,
                                 "main_administration_id": rng.choices(admins, _weights(len(admins)))[0],
                                 "fixed_on": fixed_on, "keywords": []})  # fmt: skip
        session.execute(insert(Cluster), cluster_rows)
        cluster_ids = list(session.scalars(select(Cluster.id)))
        session.commit()
        span = int((dt.datetime.combine(TODAY, dt.time(), tzinfo=dt.UTC) - start).total_seconds())
        admin_weights, territory_weights = _weights(len(admins)), _weights(len(territories))
        done = 0
        while done < reports:
            rows = []
            for n in range(done, min(done + CHUNK, reports)):
                admin = rng.choices(admins, admin_weights)[0]
                rows.append({
                    "reference": f"B{n:012d}",
                    "tracking_token_hash": hashlib.sha256(str(n).encode()).hexdigest(),
                    "token_seed": "0" * 32,
                    "created_at": start + dt.timedelta(seconds=rng.randrange(span)),
                    "description": "Texte de banc d'essai.",
                    "administration_id": admin,
                    "procedure_id": rng.choice(procedures[admin]),
                    "territory_code": rng.choices(territories, territory_weights)[0],
                    "channel_code": rng.choice(channels),
                    "severity": rng.choice(list(Severity)),
                    "cluster_id": rng.choice(cluster_ids),
                })  # fmt: skip
            session.execute(insert(Report.__table__), rows)  # Core: no ORM bookkeeping per row
            session.commit()
            done += len(rows)
            print(f"\r{done:,} signalements insérés", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    database.dispose()


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        run()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), max(times)


def measure(url: str, repeat: int) -> None:
    from sqlalchemy import text

    from irritants import create_app
    from irritants.db import get_db
    from irritants.opendata import dataset, files
    from irritants.settings import FixEffectSettings

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    database = get_db(app)
    with app.app_context(), database.read_sessions() as session:
        backend = database.engine.dialect.name
        total = session.scalar(text("SELECT count(*) FROM reports"))
        built = files.build(session, FixEffectSettings(), today=TODAY, public_url=None)
        rows = built.files["signalements.csv"].count(b"\n") - 1
        irritants = built.files["irritants.csv"].count(b"\n") - 1
        shown, counted = built.reports_shown, built.reports_counted
        share = 100 * shown / max(counted, 1)
        print(f"{backend}: {total:,} signalements ; {rows:,} lignes publiées dans signalements.csv "
              f"({shown:,} signalements sur {counted:,} des semaines complètes, {share:.1f} %) ; "
              f"{irritants:,} irritants")  # fmt: skip
        for label, run in (
            ("SELECT count(*)", lambda: session.scalar(text("SELECT count(*) FROM reports"))),
            ("signalements par semaine", lambda: dataset.week_rows(session, TODAY)),
            ("jeu de données entier", lambda: files.build(session, FixEffectSettings(), today=TODAY, public_url=None)),
        ):
            median, worst = timed(run, repeat)
            print(f"  {label:<26} médiane {median * 1000:8.0f} ms   pire {worst * 1000:8.0f} ms")
    database.dispose()


def main(measure_with: Callable[[str, int], None] = measure, doc: str = __doc__) -> None:
    """Fill a fresh database from the command line's options, then ``measure_with(url, repeat)`` (also the public
    pages' benchmark, ``bench_public_stats.py``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--clusters", type=int, default=2_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--postgres", metavar="URL", help="measure on PostgreSQL (a new database next to URL)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.postgres:
            url = stack.enter_context(fresh_postgres_database(args.postgres))
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-opendata-"))
            url = f"sqlite:///{folder}/bench.sqlite3"
        prepare_database(url)
        fill(url, args.reports, args.clusters, args.weeks, args.seed)
        measure_with(url, args.repeat)


if __name__ == "__main__":
    main()
