"""Time of the public pages' queries (``/statistiques``, ``/irritants``, the roadmap) on a large table of reports.

Fills a fresh, migrated database like ``bench_opendata.py`` (``--reports``, 1,000,000 by default, over ``--weeks``
weeks and ``--clusters`` irritants; a temporary SQLite file, or ``--postgres URL`` in a new database dropped at the
end), then prints the median and worst of ``--repeat`` runs of ``SELECT count(*) FROM reports`` (a full pass over
the table, the floor the daily rollups avoid), of each query of the pages, and of the whole pages through the Flask
test client (templates included).

    .venv/bin/python scripts/bench_public_stats.py --reports 200000
    .venv/bin/python scripts/bench_public_stats.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_intake import fresh_postgres_database, prepare_database  # noqa: E402
from bench_opendata import TODAY, fill, timed  # noqa: E402


def measure(url: str, repeat: int) -> None:
    from sqlalchemy import text

    from irritants import create_app
    from irritants.db import get_db
    from irritants.insights import public_irritants, public_stats
    from irritants.insights.filters import InsightFilters

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    database = get_db(app)
    year = InsightFilters(start=TODAY - dt.timedelta(days=364), end=TODAY)
    period = f"from={year.start.isoformat()}&to={year.end.isoformat()}"
    client = app.test_client()
    with app.app_context(), database.read_sessions() as session:
        print(f"{database.engine.dialect.name}: {session.scalar(text('SELECT count(*) FROM reports')):,} signalements")
        for label, run in (
            ("SELECT count(*)", lambda: session.scalar(text("SELECT count(*) FROM reports"))),
            ("par administration", lambda: public_stats.by_administration(session, year)),
            ("journal des correctifs", lambda: public_stats.changelog(session, year, page=1)),
            ("par département", lambda: public_stats.reports_by_territory(session, year)),
            ("liste, par score", lambda: public_irritants.public_irritants(session, public_irritants.ListQuery())),
            ("feuille de route", lambda: public_irritants.roadmap(session, today=TODAY)),
            ("page /statistiques", lambda: client.get(f"/statistiques?{period}")),
            ("page /irritants?q=banc", lambda: client.get("/irritants?q=banc&territory=59")),
        ):
            median, worst = timed(run, repeat)
            print(f"  {label:<26} médiane {median * 1000:8.0f} ms   pire {worst * 1000:8.0f} ms")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-public-"))
            url = f"sqlite:///{folder}/bench.sqlite3"
        prepare_database(url)
        fill(url, args.reports, args.clusters, args.weeks, args.seed)
        measure(url, args.repeat)


if __name__ == "__main__":
    main()
