"""CPU per request of each kind of request of the load test's mix (``scripts/load/locustfile.py``), and its share.

Runs the app in this process (Flask test client, rate limits off) against a database set up as the load test's —
``irritants setup --demo-reports 2000`` — named by ``--database-url`` (or ``IRRITANTS_DATABASE_URL``), with the demo
agents' passwords from ``--accounts`` (``comptes-demo.txt`` of that instance). For each kind it makes ``--requests``
requests after a warm-up and prints the CPU milliseconds per request (this process's CPU time: the server's work
without the network), the SQL statements per request (counted by an engine event), the requests per second the mix
asks at 200 people (from the locustfile's weights and waits) and the share of the mix's CPU each kind takes. Only
reads and the similar search: the writes (a submission, a card moved) change what the next requests see.

    .venv/bin/python scripts/bench_mix.py --database-url postgresql+psycopg://postgres@127.0.0.1/irritants \\
        --accounts instance/comptes-demo.txt --requests 300
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import event, select  # noqa: E402

_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="(?P<value>[^"]*)"')
_IRRITANT = re.compile(r'href="/irritants/(\d+)"')
_BACKLOG = re.compile(r'href="/agents/irritants/(\d+)"')
TEXTS = (
    "Mon dossier de RSA est bloqué depuis trois mois et personne ne répond au téléphone.",
    "Impossible de prendre un rendez-vous en préfecture pour renouveler mon titre de séjour.",
    "Le site refuse mon IBAN alors qu'il est valide, je ne peux pas recevoir mes aides au logement.",
)

BACKLOG_QUERIES = ("", "", "?page=2", "?sort=-size", "?status=new", "?administration=caf")

# Requests per second of each kind at 200 people, from the locustfile: readers (120 people, one request every 2 s on
# average, tasks 4/6/1/2), reporters (50: a report is the form, 3 searches, the submission and its confirmation over
# about 10 s, 3 times in 4; else their tracking page), product owners (10: backlog 3, irritant 2), squad members
# (10: a look, or a look and a move over 4 s), managers (10: the dashboard).
RATES = {
    "GET /irritants (liste)": 120 * 0.5 * 4 / 13,
    "GET /irritants/[id]": 120 * 0.5 * 6 / 13,
    "GET /irritants/feuille-de-route": 120 * 0.5 * 1 / 13,
    "GET /suivi/[jeton]": 120 * 0.5 * 2 / 13 + 50 / 8 * 0.25,
    "GET / (formulaire)": 50 / 8 * 0.75,
    "GET /api/v1/similar": 50 / 8 * 0.75 * 3,
    "GET /agents/irritants (backlog)": 10 * 0.5 * 3 / 5,
    "GET /agents/irritants/[id]": 10 * 0.5 * 2 / 5,
    "GET /agents/equipes/[slug]": 10 / 2.8,
    "GET /agents/tableau-de-bord": 10 * 0.5,
}


def accounts(path: Path) -> dict[str, tuple[str, str]]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.search(r"(\S+@\S+)\s+(\S+)\s*$", line):
            found[match[1].split("@")[0]] = (match[1], match[2])
    return found


def signed_in(app: Any, email: str, password: str) -> Any:
    client = app.test_client()
    page = client.get("/agents/connexion").get_data(as_text=True)
    token = _INPUT.search(page)["value"]  # type: ignore[index]
    done = client.post("/agents/connexion", data={"csrf_token": token, "email": email, "password": password})
    assert done.status_code == 303, done.status_code
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("IRRITANTS_DATABASE_URL"))
    parser.add_argument("--accounts", type=Path, default=REPO / "instance" / "comptes-demo.txt")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", help="one kind (a prefix of its name)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of each kind")
    args = parser.parse_args()
    os.environ.setdefault("IRRITANTS_EMBEDDING_THREADS", "1")

    from irritants import create_app
    from irritants.db import get_db
    from irritants.intake.models import Report
    from irritants.intake.services import derive_tracking_token

    app = create_app({"DATABASE_URL": args.database_url, "RATELIMIT_ENABLED": False})
    statements = [0]
    with app.app_context():
        engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", lambda *_a: statements.__setitem__(0, statements[0] + 1))
    random.seed(7)
    public = app.test_client()
    logins = accounts(args.accounts)
    owner = signed_in(app, *logins["responsable"])
    squad = signed_in(app, *logins["equipe"])
    manager = signed_in(app, *logins["pilotage"])
    board = squad.get("/agents/mon-equipe").headers["Location"]
    ids = [int(i) for i in _IRRITANT.findall(public.get("/irritants").get_data(as_text=True))]
    ids += [int(i) for i in _IRRITANT.findall(public.get("/irritants?page=2").get_data(as_text=True))]
    backlog_ids = [int(i) for i in _BACKLOG.findall(owner.get("/agents/irritants").get_data(as_text=True))]
    with app.app_context():
        seeds = get_db(app).engine.connect().execute(select(Report.token_seed).order_by(Report.id).limit(200))
        tokens = [derive_tracking_token(app.config["SECRET_KEY"], seed) for (seed,) in seeds]

    kinds: dict[str, Callable[[], Any]] = {
        "GET /irritants (liste)": lambda: public.get(
            "/irritants" + random.choice(("", "", "?page=2", "?sort=people", "?administration=caf", "?q=rendez-vous"))
        ),
        "GET /irritants/[id]": lambda: public.get(f"/irritants/{random.choice(ids)}"),
        "GET /irritants/feuille-de-route": lambda: public.get("/irritants/feuille-de-route"),
        "GET /suivi/[jeton]": lambda: public.get(f"/suivi/{random.choice(tokens)}"),
        "GET / (formulaire)": lambda: public.get("/"),
        "GET /api/v1/similar": lambda: public.get(
            "/api/v1/similar?" + urlencode({"text": random.choice(TEXTS)[: random.choice((40, 60, 90))]})
        ),
        "GET /agents/irritants (backlog)": lambda: owner.get(
            "/agents/irritants"
            + random.choice(("", "", "?page=2", "?sort=-size", "?status=new", "?administration=caf"))
        ),
        "GET /agents/irritants/[id]": lambda: owner.get(f"/agents/irritants/{random.choice(backlog_ids)}"),
        "GET /agents/equipes/[slug]": lambda: squad.get(board),
        "GET /agents/tableau-de-bord": lambda: manager.get(
            "/agents/tableau-de-bord"
            + random.choice(("", "", "?administration=caf", "?administration=ants", "?channel=telephone"))
        ),
    }
    figures = {}
    for name, call in kinds.items():
        if args.only and not name.startswith(args.only):
            continue
        for _ in range(5):
            assert call().status_code == 200, name
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        statements[0] = 0
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            call()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        figures[name] = (1000 * cpu / args.requests, 1000 * wall / args.requests, statements[0] / args.requests)
    total = sum(RATES[n] * f[0] for n, f in figures.items())
    print(f"{'kind':36} {'CPU ms':>7} {'wall ms':>8} {'SQL':>5} {'req/s':>6} {'share':>6}")
    for name, (cpu, wall, sql) in sorted(figures.items(), key=lambda kv: -RATES[kv[0]] * kv[1][0]):
        print(f"{name:36} {cpu:7.1f} {wall:8.1f} {sql:5.1f} {RATES[name]:6.1f} {100 * RATES[name] * cpu / total:5.1f}%")
    rate = sum(RATES[n] for n in figures)
    print(f"{'mix (weighted by req/s)':36} {total / rate:7.1f} {'':8} {'':5} {rate:6.1f}  CPU {total / 1000:.2f} cores")


if __name__ == "__main__":
    main()
