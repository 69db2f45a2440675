"""Several machines, proven on this one: two gunicorn instances on two ports and two ``irritants worker`` processes
on one PostgreSQL database (created for the run, dropped at its end) and one Redis (a database number of its own,
emptied at the start and the end), mail through a local SMTP server.

1. Reports are sent to both instances at once (threads, half of them with a follow-up address: each gets an
   acknowledgement mail).
2. The re-clustering one process would give is computed from the same data, in this process, in a transaction
   rolled back afterwards.
3. An administrator signs in over HTTP on each instance (CSRF tokens read from the pages) and presses « Regrouper à
   nouveau les signalements » on both at once; the workers run the job.
4. More reports are sent to both instances; the workers place them one by one as they come.

Checks: one re-clustering job only; every report in exactly one irritant, and encoded by exactly one worker (their
log lines); the irritants of the job are those of the single process (same groups of reports, same titles); every
acknowledgement mail received once (by Message-ID and by recipient), none left in the outbox. Prints the figures and
PASS or FAIL (exit status 1).

    .venv/bin/python scripts/scale_out_check.py
    .venv/bin/python scripts/scale_out_check.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        --redis-db 11 --reports 120
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

THEMES = (
    "Impossible d'obtenir un rendez-vous en préfecture pour renouveler mon titre de séjour, tous les créneaux sont pris"
    " depuis {n} semaines.",
    "Mon dossier de RSA à la CAF est bloqué depuis {n} mois, personne ne répond au téléphone ni aux messages.",
    "Le formulaire en ligne des impôts refuse mon IBAN pourtant valide, erreur à chaque validation depuis {n} jours.",
    "La carte d'identité demandée à l'ANTS n'arrive pas, le suivi en ligne indique en cours depuis {n} semaines.",
)
ADMINISTRATIONS = ("prefecture", "caf", "dgfip", "ants")
PASSWORD = "une phrase de passe pour la verification 42"
TIMEOUT_S = 240


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("IRRITANTS_TEST_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--reports", type=int, default=80, help="Reports before the re-clustering (as many after /2)")
    args = parser.parse_args()
    started = time.monotonic()
    with fresh_database(args.postgres) as url, own_redis(args.redis, args.redis_db) as redis_url:
        ok = check(url, redis_url, args.reports)
    print(f"Durée totale : {time.monotonic() - started:.1f} s")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


@contextlib.contextmanager
def fresh_database(base: str) -> Iterator[str]:
    parsed = make_url(base)
    name = f"irritants_scale_{secrets.token_hex(4)}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def own_redis(base: str, number: int) -> Iterator[str]:
    from redis import Redis

    url = f"{base.rstrip('/')}/{number}"
    client = Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def environment(url: str, redis_url: str, smtp_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "IRRITANTS_ENV": "development",
        "IRRITANTS_DATABASE_URL": url,
        "IRRITANTS_REDIS_URL": redis_url,
        "IRRITANTS_JOBS_MODE": "worker",
        "IRRITANTS_SECRET_KEY": "scale-out-check-secret-0123456789abcdef",
        "IRRITANTS_SMTP_URL": smtp_url,
        "IRRITANTS_CLUSTERING_ENCODER": "tfidf",
        "IRRITANTS_PRELOAD_ENCODER": "false",
        "IRRITANTS_RATELIMIT_ENABLED": "false",
        "IRRITANTS_LOG_FORMAT": "text",
        "IRRITANTS_LOG_LEVEL": "info",
        "IRRITANTS_INSTANCE_PATH": tempfile.mkdtemp(prefix="irritants-scale-"),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }


def prepare(url: str) -> None:
    """Schema, référentiel and one administrator (in this process)."""
    from irritants import create_app, migrate
    from irritants.auth.models import User
    from irritants.auth.passwords import hash_password
    from irritants.db import get_db
    from irritants.referential.services import load_reference_data

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "prepare", "JOBS_MODE": "inline", "PRELOAD_ENCODER": False})
    with app.app_context(), get_db(app).session_scope() as session:
        load_reference_data(session)
        session.add(
            User(email="admin@beta.gouv.fr", name="Admin", roles=["admin"], password_hash=hash_password(PASSWORD))
        )
        session.commit()
    get_db(app).dispose()


def send_reports(bases: list[str], first: int, count: int) -> tuple[int, int]:
    """``count`` reports, spread over the instances, from 8 threads at once; (accepted, with an address)."""
    accepted, with_email, retried, failures = Counter(), Counter(), Counter(), []
    lock = threading.Lock()

    def one(i: int) -> None:
        n = first + i
        payload: dict[str, Any] = {
            "description": THEMES[n % len(THEMES)].format(n=n % 9 + 2),
            "administration": ADMINISTRATIONS[n % len(ADMINISTRATIONS)],
            "territory": f"{n % 19 + 1:02d}",
            "channel": "en_ligne",
            "severity": "gene",
        }
        if n % 2 == 0:
            payload.update(email=f"personne{n}@example.org", contact_consent=True)
        for _attempt in range(4):
            response = requests.post(f"{bases[n % len(bases)]}/api/v1/reports", json=payload, timeout=30)
            if response.status_code != 503:
                break
            # What the API asks of its clients: a 503 recorded nothing, try again after Retry-After.
            with lock:
                retried["503"] += 1
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 1.0))
        with lock:
            if response.status_code == 201:
                accepted[bases[n % len(bases)]] += 1
                with_email["yes"] += "email" in payload
            else:
                failures.append((response.status_code, response.text[:200]))

    threads = [threading.Thread(target=lambda k=k: [one(i) for i in range(k, count, 8)]) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print(f"  refusés : {failures[:3]}")
    if retried:
        print(f"  {retried['503']} réponses 503 (rien d'enregistré), renvoyées après Retry-After")
    print(
        f"  {sum(accepted.values())} signalements acceptés ({', '.join(f'{v} par {k}' for k, v in accepted.items())})"
    )
    return sum(accepted.values()), with_email["yes"]


def csrf(session: requests.Session, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', session.get(url, timeout=30).text)
    if not found:
        raise RuntimeError(f"no CSRF token on {url}")
    return found.group(1)


def signed_in(base: str) -> requests.Session:
    session = requests.Session()
    token = csrf(session, f"{base}/agents/connexion")
    answer = session.post(f"{base}/agents/connexion", data={"csrf_token": token, "email": "admin@beta.gouv.fr",
                          "password": PASSWORD, "next": ""}, allow_redirects=False, timeout=30)  # fmt: skip
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused on {base}: {answer.status_code}")
    return session


def press_the_button(bases: list[str]) -> list[str]:
    """The administrator presses « Regrouper à nouveau » on every instance at once; the job pages it lands on."""
    sessions = [(base, signed_in(base)) for base in bases]
    tokens = [(base, session, csrf(session, f"{base}/agents/irritants")) for base, session in sessions]
    assert all('action="/agents/regroupements"' in s.get(f"{b}/agents/irritants").text for b, s in sessions)
    locations: list[str] = []
    barrier = threading.Barrier(len(tokens))

    def press(base: str, session: requests.Session, token: str) -> None:
        barrier.wait()
        answer = session.post(f"{base}/agents/regroupements", data={"csrf_token": token}, allow_redirects=False,
                              timeout=30)  # fmt: skip
        locations.append(answer.headers.get("Location", f"status {answer.status_code}"))

    threads = [threading.Thread(target=press, args=t) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return locations


def reference_partition(url: str, env: dict[str, str]) -> tuple[set[frozenset[int]], Counter[str]]:
    """The re-clustering one process gives from the data as it is now: computed, read, rolled back."""
    from irritants import create_app
    from irritants.clusters import recluster
    from irritants.clusters.models import Cluster
    from irritants.db import get_db
    from irritants.intake.models import Report
    from irritants.settings import settings_of

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "reference", "JOBS_MODE": "inline", "PRELOAD_ENCODER": False,
                      "CLUSTERING_ENCODER": env["IRRITANTS_CLUSTERING_ENCODER"]})  # fmt: skip
    with app.app_context(), get_db(app).session_scope() as session, recluster.exclusive_run(session):
        recluster.recluster(session, settings_of(app).clustering, seed=settings_of(app).clustering.seed)
        session.flush()
        groups = partition(session.execute(select(Report.id, Report.cluster_id)).all())
        labels = Counter(session.scalars(select(Cluster.label).where(Cluster.id.in_(select(Report.cluster_id)))))
        session.rollback()
    get_db(app).dispose()
    return groups, labels


def partition(rows: Any) -> set[frozenset[int]]:
    by_cluster: dict[int, set[int]] = {}
    for report_id, cluster_id in rows:
        by_cluster.setdefault(cluster_id, set()).add(report_id)
    return {frozenset(ids) for ids in by_cluster.values()}


def wait_for(what: str, condition: Any, timeout: float = TIMEOUT_S) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not after {timeout:.0f} s")
        time.sleep(0.25)
    return time.monotonic() - started


def check(url: str, redis_url: str, reports: int) -> bool:
    from irritants.background.models import BackgroundJob, JobState
    from irritants.clusters.models import Cluster
    from irritants.intake.models import Report
    from irritants.outbox.models import Delivery, OutboxMessage
    from tests import gunicorn_server
    from tests.gunicorn_server import Gunicorn
    from tests.smtp_server import smtp_server

    gunicorn_server.START_TIMEOUT_S = 240  # 2 instances, 2 workers and this process on a shared machine

    prepare(url)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command
    engine = create_engine(url)

    def scalar(query: Any) -> Any:
        with engine.connect() as conn:
            return conn.execute(query).scalar()

    results: dict[str, bool] = {}
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(2)]
        recorder, smtp_url = stack.enter_context(smtp_server())
        env = environment(url, redis_url, smtp_url)
        overrides = {k: v for k, v in env.items() if k.startswith(("IRRITANTS_", "OMP_", "OPENBLAS_"))}
        command = [str(Path(sys.executable).parent / "irritants"), "worker", "--poll-seconds", "2", "--log-level",
                   "INFO"]  # fmt: skip
        workers = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log) for log in logs]
        try:
            with Gunicorn(url, workers=2, env=overrides) as first, Gunicorn(url, workers=2, env=overrides) as second:
                bases = [first.url, second.url]
                print(f"Instances : {', '.join(bases)} ; 2 processus de travail ; Redis {redis_url} ; SMTP {smtp_url}")
                t0 = time.monotonic()
                sent, mailed = send_reports(bases, 0, reports)
                print(f"  envoi concurrent : {time.monotonic() - t0:.1f} s")
                groups_ref, labels_ref = reference_partition(url, env)
                print(f"Référence (un seul processus) : {len(groups_ref)} irritants pour {sent} signalements")

                t0 = time.monotonic()
                locations = press_the_button(bases)
                print(f"Bouton pressé sur les deux instances : {locations}")
                job_ids = {int(loc.rsplit("/", 1)[1]) for loc in locations if loc.rsplit("/", 1)[-1].isdigit()}
                results["un seul travail de regroupement"] = (
                    len(job_ids) == 1 and scalar(select(func.count()).select_from(BackgroundJob)) == 1
                )
                job_id = min(job_ids)
                state = select(BackgroundJob.state).where(BackgroundJob.id == job_id)
                wait_for("re-clustering job", lambda: scalar(state) in (JobState.DONE, JobState.DEAD))
                print(f"  regroupement terminé en {time.monotonic() - t0:.1f} s (demande comprise)")
                # Signed in on the first instance, read on the second: nothing of a session lives in a process.
                page = signed_in(first.url).get(f"{second.url}/agents/regroupements/{job_id}", timeout=30)
                results["page du travail : « Regroupement terminé »"] = "Regroupement terminé" in page.text
                with engine.connect() as conn:
                    groups_job = partition(conn.execute(select(Report.id, Report.cluster_id)).all())
                    labels_job = Counter(
                        conn.scalars(select(Cluster.label).where(Cluster.id.in_(select(Report.cluster_id))))
                    )
                same = groups_job == groups_ref
                print(f"  {len(groups_job)} irritants ; mêmes groupes que la référence : {same} ; "
                      f"mêmes titres : {labels_job == labels_ref}")  # fmt: skip
                results["mêmes irritants qu'un seul processus"] = same and labels_job == labels_ref
                if not results["mêmes irritants qu'un seul processus"]:
                    print(f"  tailles : {sorted(map(len, groups_job))} contre {sorted(map(len, groups_ref))}")
                    print(f"  titres en plus : {list((labels_job - labels_ref).elements())[:5]}")
                    print(f"  titres en moins : {list((labels_ref - labels_job).elements())[:5]}")

                t0 = time.monotonic()
                more, more_mailed = send_reports(bases, reports, reports // 2)
                sent, mailed = sent + more, mailed + more_mailed
                waited = wait_for("placement", lambda: scalar(
                    select(func.count()).select_from(Report).where(Report.cluster_id.is_(None))) == 0)  # fmt: skip
                print(f"  {more} signalements placés au fil de l'eau, {waited:.1f} s après le dernier envoi")
                unsent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != Delivery.SENT)
                wait_for("mails", lambda: scalar(unsent) == 0 and len(recorder.messages) >= mailed)
                time.sleep(3)  # a duplicate would arrive now
                for server in (first, second):
                    server.log.seek(0)
                    lines = server.log.read().decode(errors="replace").splitlines()
                    errors = [line for line in lines if " ERROR " in line or "Error" in line]
                    for line in errors[:10]:
                        print(f"  {server.url} : {line[:300]}")
                print(f"  courriels : {len(recorder.messages)} reçus pour {mailed} attendus, "
                      f"{time.monotonic() - t0:.1f} s")  # fmt: skip
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)

        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(Report)).scalar()
            unplaced = conn.execute(
                select(func.count()).select_from(Report).where(Report.cluster_id.is_(None))
            ).scalar()
            sizes = conn.execute(select(func.coalesce(func.sum(Cluster.size), 0))).scalar()
        results["chaque signalement dans exactement un irritant"] = total == sent and unplaced == 0 and sizes == total
        print(f"Signalements : {total} enregistrés, {unplaced} sans irritant, somme des tailles {sizes}")

        encoded: Counter[int] = Counter()
        per_worker = []
        for log in logs:
            log.seek(0)
            lines = log.read().decode(errors="replace")
            ids = [int(i) for match in re.findall(r"encoded \d+ reports: ([\d,]+)", lines) for i in match.split(",")]
            per_worker.append(len(ids))
            encoded.update(ids)
        twice = [i for i, n in encoded.items() if n > 1]
        print(f"Encodés au fil de l'eau par chaque processus de travail : {per_worker} ; deux fois : {len(twice)}")
        results["aucun signalement encodé deux fois"] = not twice and sum(per_worker) == more

        ids = Counter(recorder.message_ids())
        recipients = Counter(rcpt for _sender, rcpts in recorder.envelopes for rcpt in rcpts)
        results["chaque courriel envoyé une fois"] = (
            len(ids) == mailed and max(ids.values(), default=1) == 1 and max(recipients.values(), default=1) == 1
        )
        print(
            f"Courriels : {sum(ids.values())} reçus, {len(ids)} Message-ID distincts, {len(recipients)} destinataires"
        )
    engine.dispose()
    for name, ok in results.items():
        print(f"  {'ok ' if ok else 'NON'} {name}")
    return all(results.values())


if __name__ == "__main__":
    sys.exit(main())
