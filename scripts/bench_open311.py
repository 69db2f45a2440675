"""Time of the Open311 door (``/open311/v2/``) through the Flask test client, on a table of published reports.

Fills a fresh, migrated database like ``bench_opendata.py`` (``--reports``, 1,000 by default, over ``--weeks``
weeks: 12, so that the 90 days of ``GET requests`` hold most of them; a temporary SQLite file, or ``--postgres URL``),
then prints the median and worst of ``--repeat`` runs of each resource in XML and JSON — ``requests`` at its
widest (1,000 requests), with ``extensions=true`` (a page of 100), one request, the services and a definition —
and of ``POST requests`` (a new report each time, then a replay of the same request).

    .venv/bin/python scripts/bench_open311.py
    .venv/bin/python scripts/bench_open311.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_opendata import main, timed  # noqa: E402


def measure(url: str, repeat: int) -> None:
    from sqlalchemy import select, text

    from irritants import create_app, jobs
    from irritants.db import get_db
    from irritants.intake.models import Report
    from irritants.partners import services as partners

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}
    )
    database = get_db(app)
    client = app.test_client()
    with app.app_context(), database.session_scope() as session:
        key = partners.create_partner(session, "Banc d'essai").key
        session.commit()
        reference = session.scalar(select(Report.reference).order_by(Report.created_at.desc()))
        total = session.scalar(text("SELECT count(*) FROM reports"))
    numbers = itertools.count()

    def post(suffix: str = "") -> object:
        n = next(numbers) if not suffix else 0
        form = {
            "api_key": key,
            "service_code": "caf",
            "description": f"Mon dossier de RSA est bloqué depuis {n + 2} semaines, personne ne répond.{suffix}",
            "address_string": "12 rue Nationale, 59000 Lille",
            "attribute[channel]": "telephone",
            "attribute[severity]": "blocage",
        }
        response = client.post("/open311/v2/requests.json", data=form)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    def get(path: str) -> object:
        response = client.get(f"/open311/v2/{path}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    listed = len(get("requests.json").get_json())
    backend = database.engine.dialect.name
    print(f"{backend}: {total:,} signalements, {listed:,} dans GET requests (90 jours, 1 000 au plus)")
    post(" (rejeu)")
    for label, run in (
        ("GET requests.xml (1 000)", lambda: get("requests.xml")),
        ("GET requests.json (1 000)", lambda: get("requests.json")),
        ("GET requests.json extensions", lambda: get("requests.json?extensions=true&page_size=100")),
        ("GET requests/{id}.xml", lambda: get(f"requests/{reference}.xml")),
        ("GET services.xml", lambda: get("services.xml")),
        ("GET services/caf.json", lambda: get("services/caf.json")),
        ("POST requests.json (nouveau)", post),
        ("POST requests.json (rejeu)", lambda: post(" (rejeu)")),
    ):
        median, worst = timed(run, repeat)
        print(f"  {label:<30} médiane {median * 1000:8.1f} ms   pire {worst * 1000:8.1f} ms")
    jobs.stop(app)
    database.dispose()


if __name__ == "__main__":
    sys.argv[1:1] = ["--reports", "1000", "--weeks", "12", "--clusters", "50"]  # defaults, before the user's own
    main(measure, __doc__)
