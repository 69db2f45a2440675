"""Time of the managers' dashboard data (``irritants.insights.dashboard.dashboard_data``) at a realistic volume.

Builds a fresh, migrated database (a temporary SQLite file, or with ``--database-url`` a new PostgreSQL database
next to the one named, dropped at the end), puts ``--reports`` reports in it by bulk insert (COPY on PostgreSQL,
executemany on SQLite; the rollup triggers count them as they go) with a realistic skew:

- administrations Zipf (s = 1.1) over the bundled list, irritants Zipf (s = 1.0) over ``--irritants`` irritants,
  90 % of the reports in one; départements with lognormal weights (a few large, many small, as populations are);
- ~70 % online channel, the rest by phone, counter, post, France Services or email; 6 % flagged assisted;
- spread evenly over the last two years (``created_at`` uniform, so every day and hour is present);

then checks the rollup (``rollup.check_rollup``, not timed) and times, cache off, ``dashboard_data`` over the filter
combinations a manager uses (the default 90 days, each single filter, two combined, a year, a squad), ``--repeat``
times each, next to a plain ``SELECT count(*) FROM reports`` in the same run. Prints build times, the rollups'
row counts (their cardinality against the reports'), p50/p95/max ms per filter set and over all, and peak MB.

    nice .venv/bin/python scripts/bench_dashboard.py --reports 100000
    nice .venv/bin/python scripts/bench_dashboard.py --database-url postgresql+psycopg://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_intake import fresh_postgres_database, prepare_database  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from irritants.clusters.models import Cluster  # noqa: E402
from irritants.insights import rollup  # noqa: E402
from irritants.insights.dashboard import dashboard_data  # noqa: E402
from irritants.insights.filters import InsightFilters  # noqa: E402
from irritants.intake.models import Report  # noqa: E402
from irritants.referential.models import Administration, Territory  # noqa: E402
from irritants.settings import FeedbackSettings  # noqa: E402
from irritants.squads.models import Squad  # noqa: E402
from irritants.status import StatusKind  # noqa: E402

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 11, tzinfo=dt.UTC)
SPAN_DAYS = 730
CHANNELS = ["en_ligne", "telephone", "guichet", "courrier", "france_services", "email"]
CHANNEL_WEIGHTS = [0.70, 0.10, 0.07, 0.03, 0.06, 0.04]
SEVERITIES = ["gene", "perte_de_temps", "blocage", "rupture_de_droits"]
SEVERITY_WEIGHTS = [0.25, 0.40, 0.25, 0.10]
STATUSES = [
    StatusKind.NEW,
    StatusKind.TRIAGED,
    StatusKind.PLANNED,
    StatusKind.IN_PROGRESS,
    StatusKind.FIXED,
    StatusKind.CLOSED_NOT_FIXED,
    StatusKind.REGRESSED,
]
CHUNK = 50_000


def zipf_weights(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    return weights / weights.sum()


def build(url: str, reports: int, irritants: int, seed: int) -> dict[str, float]:
    """Reference data, squads, irritants and reports; returns the build's timings."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    prepare_database(url)
    timings["schema and référentiel (s)"] = time.perf_counter() - started
    rng = np.random.default_rng(seed)
    engine = create_engine(url)
    with Session(engine) as session:
        admins = [a for (a,) in session.execute(select(Administration.id).order_by(Administration.id))]
        territories = [t for (t,) in session.execute(select(Territory.code).order_by(Territory.code))]
        squads = [Squad(name=f"Équipe {i}", slug=f"equipe-{i}") for i in range(30)]
        session.add_all(squads)
        session.flush()
        clusters = []
        for i in range(irritants):
            status = STATUSES[int(rng.choice(len(STATUSES), p=[0.35, 0.25, 0.1, 0.1, 0.12, 0.06, 0.02]))]
            fixed_at = NOW - dt.timedelta(days=int(rng.integers(1, SPAN_DAYS))) if status == StatusKind.FIXED else None
            clusters.append(
                {
                    "label": f"Irritant {i}",
                    "keywords": [],
                    "search_text": "",
                    "excerpt_report_ids": [],
                    "status": status,
                    "size": 0,
                    "supporters": 0,
                    "people": 0,
                    "territories": 0,
                    "administrations": 0,
                    "main_administration_id": admins[int(rng.integers(len(admins)))],
                    "score": float(1000.0 / (i + 1)),
                    "score_breakdown": {},
                    "pinned": False,
                    "label_locked": False,
                    "squad_id": squads[i % 30].id if status not in (StatusKind.NEW, StatusKind.TRIAGED) else None,
                    "created_at": NOW - dt.timedelta(days=SPAN_DAYS),
                    "updated_at": NOW,
                    "fixed_at": fixed_at,
                    "fixed_on": fixed_at.date() if fixed_at else None,
                    "closed_at": fixed_at,
                    "version": 1,
                }
            )
        session.execute(insert(Cluster), clusters)
        session.commit()
        cluster_ids = [c for (c,) in session.execute(select(Cluster.id).order_by(Cluster.id))]
    timings["squads and irritants (s)"] = time.perf_counter() - started - timings["schema and référentiel (s)"]

    started = time.perf_counter()
    admin_p = zipf_weights(len(admins), 1.1)
    territory_p = rng.lognormal(0.0, 0.8, len(territories))
    territory_p /= territory_p.sum()
    cluster_p = zipf_weights(len(cluster_ids), 1.0)
    span = SPAN_DAYS * 86400
    start = NOW - dt.timedelta(days=SPAN_DAYS)
    postgres = engine.dialect.name == "postgresql"
    done = 0
    while done < reports:
        n = min(CHUNK, reports - done)
        seconds = np.sort(rng.integers(0, span, n))
        admin_idx = rng.choice(len(admins), n, p=admin_p)
        terr_idx = rng.choice(len(territories), n, p=territory_p)
        chan_idx = rng.choice(len(CHANNELS), n, p=CHANNEL_WEIGHTS)
        sev_idx = rng.choice(len(SEVERITIES), n, p=SEVERITY_WEIGHTS)
        assisted = rng.random(n) < 0.06
        clustered = rng.random(n) < 0.9
        clus_idx = rng.choice(len(cluster_ids), n, p=cluster_p)
        rows = [
            (
                f"B{done + i:011d}",
                f"{done + i:064x}",
                "s",
                start + dt.timedelta(seconds=int(seconds[i])),
                "Signalement de banc d'essai.",
                admins[admin_idx[i]],
                territories[terr_idx[i]],
                CHANNELS[chan_idx[i]],
                SEVERITIES[sev_idx[i]],
                bool(assisted[i]),
                cluster_ids[clus_idx[i]] if clustered[i] else None,
            )
            for i in range(n)
        ]
        _load(engine, rows, postgres)
        done += n
        print(f"\r  {done:,} reports", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    timings["reports, bulk insert with the triggers (s)"] = time.perf_counter() - started
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return timings


COLUMNS = (
    "reference",
    "tracking_token_hash",
    "token_seed",
    "created_at",
    "description",
    "administration_id",
    "territory_code",
    "channel_code",
    "severity",
    "assisted",
    "cluster_id",
)


def _load(engine, rows, postgres: bool) -> None:
    if postgres:
        raw = engine.raw_connection()
        try:
            with (
                raw.cursor() as cur,
                cur.copy(
                    f"COPY reports ({', '.join(COLUMNS)}, status, source, moderation, "
                    "moderation_reasons, abuse_flags, cluster_locked) FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row((*row, "new", "import", "published", "[]", 0, False))
            raw.commit()
        finally:
            raw.close()
        return
    values = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    with engine.begin() as conn:
        conn.execute(
            insert(Report.__table__).values(
                status="new",
                source="import",
                moderation="published",
                moderation_reasons=[],
                abuse_flags=0,
                cluster_locked=False,
            ),
            values,
        )


def filter_sets(session: Session) -> list[tuple[str, InsightFilters]]:
    default = InsightFilters.default(on=TODAY)
    top_admin = session.scalar(
        select(Administration.slug)
        .join(rollup.ReportDay)
        .group_by(Administration.slug)
        .order_by(func.sum(rollup.ReportDay.reports).desc())
        .limit(1)
    )
    small_admin = session.scalar(
        select(Administration.slug)
        .join(rollup.ReportDay)
        .group_by(Administration.slug)
        .order_by(func.sum(rollup.ReportDay.reports))
        .limit(1)
    )
    squad = session.scalar(select(Squad.slug).order_by(Squad.id))
    span = {"start": default.start, "end": default.end}
    return [
        ("90 jours (défaut)", default),
        ("administration principale", InsightFilters(**span, administration=top_admin)),
        ("petite administration", InsightFilters(**span, administration=small_admin)),
        ("département 59", InsightFilters(**span, territory="59")),
        ("région 84", InsightFilters(**span, region="84")),
        ("canal téléphone", InsightFilters(**span, channel="telephone")),
        ("gravité blocage", InsightFilters(**span, severity="blocage")),
        ("start-up d'État", InsightFilters(**span, squad=squad)),
        ("administration + région", InsightFilters(**span, administration=top_admin, region="11")),
        ("canal + gravité", InsightFilters(**span, channel="guichet", severity="rupture_de_droits")),
        ("un an", InsightFilters(start=TODAY - dt.timedelta(days=364), end=TODAY)),
        (
            "un an, administration",
            InsightFilters(start=TODAY - dt.timedelta(days=364), end=TODAY, administration=top_admin),
        ),
        ("un an, start-up d'État", InsightFilters(start=TODAY - dt.timedelta(days=364), end=TODAY, squad=squad)),
    ]


def measure(url: str, repeat: int, check: bool = True) -> None:
    from irritants.intake.models import Severity

    engine = create_engine(url)
    feedback = FeedbackSettings()
    with Session(engine) as session:
        reports = session.scalar(select(func.count()).select_from(Report))
        days = session.scalar(select(func.count()).select_from(rollup.ReportDay))
        cdays = session.scalar(select(func.count()).select_from(rollup.ClusterDay))
        tdays = session.scalar(select(func.count()).select_from(rollup.TerritoryDay))
        print(
            f"reports: {reports:,}; report_days rows: {days:,} ({days / reports:.1%} of the reports); "
            f"territory_days: {tdays:,} ({tdays / reports:.1%}); cluster_days: {cdays:,} ({cdays / reports:.1%})"
        )
        if check:
            started = time.perf_counter()
            right = rollup.check_rollup(session)
            print(f"rollups agree with the reports: {right} (checked in {time.perf_counter() - started:.1f} s)")
        count_ms = []
        for _ in range(max(repeat, 3)):
            t = time.perf_counter()
            session.execute(text("SELECT count(*) FROM reports")).scalar()
            count_ms.append((time.perf_counter() - t) * 1000)
        sets = [
            (
                name,
                f
                if not isinstance(f.severity, str)
                else InsightFilters(**{**f.__dict__, "severity": Severity(f.severity)}),
            )
            for name, f in filter_sets(session)
        ]
        dashboard_data(session, sets[0][1], feedback_settings=feedback, now=NOW)  # warm the caches of the database
        gc.freeze()  # as wsgi.py does once the application is made: full collections skip the objects of the start
        everything = []
        print(f"\n{'filtres':<28}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        for name, filters in sets:
            times = []
            for _ in range(repeat):
                session.expire_all()
                t = time.perf_counter()
                dashboard_data(session, filters, feedback_settings=feedback, now=NOW)
                times.append((time.perf_counter() - t) * 1000)
                session.rollback()
            everything += times
            print(f"{name:<28}{statistics.median(times):>9.0f}{percentile(times, 95):>9.0f}{max(times):>9.0f}")
        print(
            f"{'toutes':<28}{statistics.median(everything):>9.0f}{percentile(everything, 95):>9.0f}"
            f"{max(everything):>9.0f}"
        )
        print(
            f"{'SELECT count(*) FROM reports':<28}{statistics.median(count_ms):>9.0f}"
            f"{percentile(count_ms, 95):>9.0f}{max(count_ms):>9.0f}"
        )
        started = time.perf_counter()
        rollup.rebuild(session)
        session.commit()
        print(f"\nirritants insights rebuild: {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":  # the rebuild rewrote the rollups: leave them as the next run expects
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("report_days", "territory_days", "cluster_days"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--irritants", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="a PostgreSQL URL: a new database is made next to it, then dropped")
    parser.add_argument("--keep", metavar="URL", help="build into this new, empty database and keep it")
    parser.add_argument("--existing", metavar="URL", help="measure a database built before with --keep")
    parser.add_argument("--no-check", action="store_true", help="do not compare the rollups with the reports")
    args = parser.parse_args()
    if args.existing:
        measure(args.existing, args.repeat, check=not args.no_check)
        return
    with contextlib.ExitStack() as stack:
        if args.keep:
            url = args.keep
        elif args.database_url:
            url = stack.enter_context(fresh_postgres_database(args.database_url))
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-dashboard-"))
            url = f"sqlite:///{folder}/bench.db"
        print(
            f"database: {url.split('@')[-1]}; {args.reports:,} reports over {SPAN_DAYS} days, "
            f"{args.irritants:,} irritants"
        )
        for name, seconds in build(url, args.reports, args.irritants, args.seed).items():
            print(f"build — {name}: {seconds:.1f}")
        measure(url, args.repeat, check=not args.no_check)


if __name__ == "__main__":
    main()
