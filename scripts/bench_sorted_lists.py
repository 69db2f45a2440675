"""Time of the API's backlog (``GET /api/v1/triage/clusters``) and public list (``GET /api/v1/clusters``) under every
``sort`` they accept, through the Flask test client (policy, query, serialisation, ``Link`` and ``X-Total-Count``).

Fills a fresh, migrated database like ``bench_opendata.py`` (``--reports`` over ``--clusters`` irritants; a temporary
SQLite file, or ``--postgres URL`` in a new database dropped at the end), gives the irritants their sizes and a score,
then prints the median and worst of ``--repeat`` requests for one page of 25 in each order, the first page and the
fortieth (an OFFSET of 975).

    .venv/bin/python scripts/bench_sorted_lists.py --reports 200000
    .venv/bin/python scripts/bench_sorted_lists.py --reports 200000 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_opendata import main, timed  # noqa: E402


def measure(url: str, repeat: int) -> None:
    from sqlalchemy import func, select, update

    from irritants import create_app, jobs
    from irritants.auth.api_tokens import create_token
    from irritants.auth.models import User
    from irritants.clusters import services as clusters
    from irritants.clusters.models import Cluster
    from irritants.db import get_db
    from irritants.intake.models import Report
    from irritants.paging import sort_spellings
    from irritants.triage.backlog import LEGACY_SORTS, SORT_FIELDS

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    database = get_db(app)
    with app.app_context(), database.session_scope() as session:
        size = select(func.count()).where(Report.cluster_id == Cluster.id).scalar_subquery()
        session.execute(update(Cluster).values(size=size, people=size))
        # A score that orders differently from the size, as a real one does (recency, severity, growth…).
        session.execute(update(Cluster).values(score=Cluster.size * ((Cluster.id * 37) % 101) / 100.0))
        admin = User(email="banc@beta.gouv.fr", name="Banc d'essai", roles=["admin"])
        session.add(admin)
        session.flush()
        _, token = create_token(session, admin, "banc")
        session.commit()
        listed = session.scalar(select(func.count()).select_from(Cluster))
        print(f"{database.engine.dialect.name}: {session.scalar(select(func.count()).select_from(Report)):,} "
              f"signalements, {listed:,} irritants")  # fmt: skip
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for path, spellings in (
        ("/api/v1/triage/clusters", [s for s in sort_spellings(SORT_FIELDS) if s not in LEGACY_SORTS]),
        ("/api/v1/clusters", sort_spellings(clusters.LIST_SORTS)),
    ):
        print(path)
        for spelling in spellings:
            figures = []
            for page in (1, 40):
                query = {"sort": spelling, "page": page, "page_size": 25}
                answer = client.get(path, query_string=query, headers=headers)
                assert answer.status_code == 200, answer.get_data(as_text=True)
                median, worst = timed(lambda p=path, q=query: client.get(p, query_string=q, headers=headers), repeat)
                figures.append(f"page {page:>2} médiane {median * 1000:6.0f} ms  pire {worst * 1000:6.0f} ms")
            print(f"  sort={spelling:<16} " + "   ".join(figures))
    jobs.stop(app)  # the app's daily jobs must not outlive the database the script drops
    database.dispose()


if __name__ == "__main__":
    main(measure, __doc__)
