"""Time of the public pages' queries (``/statistiques``, ``/irritants``, the roadmap) on a large table of reports.

Fills a fresh, migrated database like ``bench_opendata.py`` (``--reports``, 1,000,000 by default, over ``--weeks``
weeks and ``--clusters`` irritants; a temporary SQLite file, or ``--postgres URL`` in a new database dropped at the
end), then prints the median and worst of ``--repeat`` runs of ``SELECT count(*) FROM reports`` (a full pass over
the table), of each query of the pages, and of the whole pages through the Flask test client (templates included;
``/statistiques`` both computed and from its 5-minute cache).

    .venv/bin/python scripts/bench_public_stats.py --reports 200000
    .venv/bin/python scripts/bench_public_stats.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_opendata import TODAY, main, timed  # noqa: E402


def measure(url: str, repeat: int) -> None:
    from sqlalchemy import text

    from irritants import create_app, jobs
    from irritants.db import get_db
    from irritants.insights import public_irritants, public_stats
    from irritants.insights.filters import InsightFilters
    from irritants.public import statistics

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    database = get_db(app)
    year = InsightFilters(start=TODAY - dt.timedelta(days=364), end=TODAY)
    period = f"from={year.start.isoformat()}&to={year.end.isoformat()}"
    client = app.test_client()

    def uncached(url: str) -> object:
        app.extensions.pop(statistics._EXTENSION, None)  # the figures of a period are kept 5 minutes
        return client.get(url)

    with app.app_context(), database.read_sessions() as session:
        counts = public_stats.received(session, year)
        print(f"{database.engine.dialect.name}: {session.scalar(text('SELECT count(*) FROM reports')):,} signalements")
        for label, run in (
            ("SELECT count(*)", lambda: session.scalar(text("SELECT count(*) FROM reports"))),
            ("reçus (par administration, par département)", lambda: public_stats.received(session, year)),
            ("par administration", lambda: public_stats.by_administration(session, year, counts)),
            ("journal des correctifs", lambda: public_stats.changelog(session, year, page=1)),
            ("liste, par score", lambda: public_irritants.public_irritants(session, public_irritants.ListQuery())),
            ("feuille de route", lambda: public_irritants.roadmap(session, today=TODAY)),
            ("page /statistiques (1re fois)", lambda: uncached(f"/statistiques?{period}")),
            ("page /statistiques", lambda: client.get(f"/statistiques?{period}")),
            ("page /irritants?q=banc", lambda: client.get("/irritants?q=banc&territory=59")),
        ):
            median, worst = timed(run, repeat)
            print(f"  {label:<26} médiane {median * 1000:8.0f} ms   pire {worst * 1000:8.0f} ms")
    jobs.stop(app)  # the app's daily jobs must not outlive the database the script drops
    database.dispose()


if __name__ == "__main__":
    main(measure, __doc__)
