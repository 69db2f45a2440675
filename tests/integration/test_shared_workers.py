"""Several ``irritants worker`` processes share the clustering safely (issue 9, item 6).

Three real workers, started before 300 pending reports appear (written from 4 complaints that cluster apart), must
encode every report exactly once — counted from the line each batch logs with its report ids, since a report's
vector row would hide a second encoding — and create exactly one irritant per complaint: no twin. Their placement
turns must never overlap (the ``clustering`` lock), and more than one worker must have taken work. On PostgreSQL the
workers claim concurrently (``SKIP LOCKED``); on SQLite, the single writer, claims and placements take turns.

TF-IDF keeps it fast: fitted here on the reports' texts and stored as the batch run does, so that the workers load
it from the database (no model to load, a few milliseconds a batch).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from irritants.clustering import TfidfEncoder
from irritants.clusters.models import Cluster, EncoderState, ReportVector
from irritants.db import get_db, utcnow
from irritants.intake.models import Report
from tests.conftest import make_report

ENTRY = Path(sys.executable).with_name("irritants")
WORKERS = 3
PER_COMPLAINT = 75
COMPLAINTS = {
    "prefecture": "Impossible d'obtenir un rendez-vous en préfecture pour renouveler mon titre de séjour : le site "
    "affiche toujours complet, j'ai essayé {n} fois.",
    "rsa": "La CAF a suspendu le versement de mon RSA sans courrier ni explication, cela fait {n} semaines que "
    "j'attends une réponse.",
    "cpam": "Mes feuilles de soins ne sont pas remboursées par la CPAM, mon dossier de remboursement médical est "
    "bloqué depuis {n} jours.",
    "radiation": "France Travail m'a radié de la liste des demandeurs d'emploi alors que mon actualisation était "
    "faite, le conseiller {n} ne répond pas.",
}
# The app's text lines (irritants/logs.py): « <time> INFO <logger> <message> ».
ENCODED = re.compile(r"^(\S+) INFO irritants\.clusters\.jobs encoded \d+ reports: ([\d,]+)$")
TURN = re.compile(r"^(\S+) INFO irritants\.clusters\.jobs placement turn ([\d.]+) ([\d.]+): ")


@pytest.fixture
def pending_app(make_app):
    # No runner in the test process: only the worker processes cluster.
    return make_app(JOBS_MODE="worker", CLUSTERING_ENCODER="tfidf")


@pytest.mark.slow  # starts worker processes: run first by each test process of -n N (tests/conftest.py)
def test_three_workers_encode_every_report_once_and_create_no_twin(pending_app, database_url, tmp_path):
    texts = {name: [template.format(n=i + 2) for i in range(PER_COMPLAINT)] for name, template in COMPLAINTS.items()}
    database = get_db(pending_app)
    with pending_app.app_context(), database.session_scope() as session:
        encoder = TfidfEncoder(seed=0, min_df=2).fit([t for group in texts.values() for t in group])
        session.add(EncoderState(name=encoder.name, blob=pickle.dumps(encoder), fitted_at=utcnow()))
        session.commit()

    workers = [_start_worker(database_url, tmp_path / f"worker-{i}.log") for i in range(WORKERS)]
    try:
        for _worker, log in workers:
            _wait_for(lambda log=log: "Worker démarré" in log.read_text(), 60, f"{log.name} never started")
        # Interleaved, so that every batch of 64 mixes the complaints; all appear at once, in one transaction.
        complaint_of: dict[int, str] = {}
        with pending_app.app_context(), database.session_scope() as session:
            for i in range(PER_COMPLAINT):
                for name in COMPLAINTS:
                    complaint_of[make_report(session, description=texts[name][i]).id] = name
            session.commit()
        _wait_for(lambda: _pending(database, complaint_of) == 0, 60, "reports still pending")
    finally:
        for worker, _ in workers:
            worker.send_signal(signal.SIGINT)
        for worker, _ in workers:
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)
    logs = {log.name: log.read_text() for _, log in workers}

    encoded: Counter[int] = Counter()
    turns: list[tuple[float, float, str]] = []
    for name, text in logs.items():
        for line in text.splitlines():
            if match := ENCODED.search(line):
                encoded.update(int(i) for i in match.group(2).split(","))
            elif match := TURN.search(line):
                turns.append((float(match.group(2)), float(match.group(3)), name))
    assert sorted(encoded) == sorted(complaint_of), "every report is encoded"
    assert [rid for rid, count in encoded.items() if count > 1] == [], "and encoded once"

    turns.sort()
    overlaps = [(a, b) for a, b in itertools.pairwise(turns) if b[0] < a[1]]
    assert overlaps == [], "placement turns never overlap"

    with pending_app.app_context(), database.session_scope() as session:
        vectors = Counter(
            session.scalars(select(ReportVector.report_id).where(ReportVector.report_id.in_(complaint_of)))
        )
        assert set(vectors) == set(complaint_of) and set(vectors.values()) == {1}, "one vector per report"
        clusters_of: dict[str, set[int]] = {}
        for report_id, cluster_id in session.execute(
            select(Report.id, Report.cluster_id).where(Report.id.in_(complaint_of))
        ):
            clusters_of.setdefault(complaint_of[report_id], set()).add(cluster_id)
        assert all(len(ids) == 1 for ids in clusters_of.values()), f"one irritant per complaint: {clusters_of}"
        assert len(set().union(*clusters_of.values())) == len(COMPLAINTS), "complaints apart"
        assert session.scalar(select(func.count(Cluster.id))) == len(COMPLAINTS), "no twin irritant"
    # The work was shared: a placement takes hundreds of milliseconds, the others poll every 0.1 s.
    assert len({name for _, _, name in turns}) >= 2, f"one worker did everything: {turns}"


def _start_worker(database_url: str, log: Path) -> tuple[subprocess.Popen, Path]:
    env = {
        **os.environ,
        "IRRITANTS_ENV": "testing",
        "IRRITANTS_DATABASE_URL": database_url,
        "IRRITANTS_CLUSTERING_ENCODER": "tfidf",
        "PYTHONUNBUFFERED": "1",
    }
    handle = log.open("w")
    process = subprocess.Popen(
        [str(ENTRY), "worker", "--poll-seconds", "0.1", "--log-level", "INFO"],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=env,
    )
    handle.close()
    return process, log


def _pending(database, report_ids) -> int:
    with database.read_sessions() as session:
        return session.scalar(
            select(func.count(Report.id)).where(Report.id.in_(report_ids), Report.cluster_id.is_(None))
        )


def _wait_for(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def test_a_live_claim_is_left_alone_and_an_expired_one_taken_again(pending_app):
    from irritants.clusters.jobs import process_pending_batch

    database = get_db(pending_app)
    texts = [COMPLAINTS["rsa"].format(n=n) for n in range(3)]
    with pending_app.app_context(), database.session_scope() as session:
        corpus = [template.format(n=n) for template in COMPLAINTS.values() for n in range(10)]
        encoder = TfidfEncoder(seed=0, min_df=2).fit(corpus)
        session.add(EncoderState(name=encoder.name, blob=pickle.dumps(encoder), fitted_at=utcnow()))
        live, expired, free = (make_report(session, description=text) for text in texts)
        live.claimed_until = utcnow() + dt.timedelta(minutes=5)  # a worker is encoding it
        expired.claimed_until = utcnow() - dt.timedelta(seconds=1)  # its worker died
        ids = live.id, expired.id, free.id
        session.commit()
    with pending_app.app_context():
        assert process_pending_batch(pending_app) == 2
        assert process_pending_batch(pending_app) == 0
    with database.read_sessions() as session:
        placed = dict(session.execute(select(Report.id, Report.cluster_id).where(Report.id.in_(ids))).all())
    assert placed[live.id] is None
    assert placed[expired.id] is not None and placed[free.id] == placed[expired.id]
