"""Progress of a batch run: each stage starts at 0 before its work, counts items as they are done, and the
command shows one bar after the other, so the rates it prints are real."""

from __future__ import annotations

import re

import numpy as np
import pytest

from irritants.clusters import recluster as batch
from irritants.db import get_db
from irritants.settings import ClusteringEncoder, settings_of
from tests.conftest import make_report

TEXTS = (
    "Impossible d'obtenir un rendez-vous en préfecture pour mon titre de séjour, semaine {n}.",
    "Mon dossier de RSA à la CAF est bloqué depuis {n} mois, aucune réponse au téléphone.",
    "Le formulaire en ligne refuse mon IBAN pourtant valide, erreur {n} à chaque validation.",
)


def add_reports(app, count: int) -> None:
    with app.app_context(), get_db(app).session_scope() as session:
        for i in range(count):
            make_report(session, description=TEXTS[i % len(TEXTS)].format(n=i + 2))
        session.commit()


class SlowEncoder:
    """An embedding-like encoder that works in batches of 10 and says so through its progress callback."""

    name, dim, batch = "test-encoder", 4, 10

    def __init__(self, log: list) -> None:
        self.log = log

    def encode(self, texts, *, progress=None):
        for start in range(0, len(texts), self.batch):
            self.log.append("batch encoded")
            if progress:
                progress(min(start + self.batch, len(texts)), len(texts))
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors


def test_vectors_start_at_zero_before_any_encoding_and_advance_batch_by_batch(app, monkeypatch):
    add_reports(app, 25)
    log: list = []
    encoder = SlowEncoder(log)
    monkeypatch.setattr(batch.engine, "encoder_kind", lambda clustering: ClusteringEncoder.EMBEDDING)
    monkeypatch.setattr(batch.engine, "current_encoder", lambda session, clustering, **kwargs: encoder)
    with app.app_context(), get_db(app).session_scope() as session:
        assert batch.vectorise_missing(session, settings_of(app).clustering, lambda *event: log.append(event)) == 25
    # Before the fix the first event was ("vectors", 25, 25), after the whole chunk was encoded: a bar created
    # then counted the slow first batch as instantaneous (millions of texts per second).
    assert log[0] == ("vectors", 0, 25)
    steps = [done for stage, done, _total in (e for e in log if isinstance(e, tuple))]
    assert steps == [0, 10, 20, 25]
    assert log.index("batch encoded") > 0


@pytest.fixture
def tfidf_app(make_app):
    return make_app(CLUSTERING_ENCODER="tfidf")


def test_the_recluster_command_shows_one_honest_bar_per_stage(tfidf_app):
    add_reports(tfidf_app, 12)
    result = tfidf_app.test_cli_runner().invoke(args=["recluster"])
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "\x1b[A" not in err  # no bar redrawn above another: they follow one another
    lines = [line.strip() for line in re.split(r"[\r\n]+", err) if line.strip()]
    vectors = [line for line in lines if line.startswith("Vecteurs")]
    assert vectors and " 0/12 " in vectors[0], vectors  # drawn before the work, not after it
    assert all("textes/s" in line for line in vectors)
    grouping = [line for line in lines if line.startswith("Regroupement")]
    assert grouping and not any("/s" in line for line in grouping)  # one step: no rate
    assert result.stdout.startswith("12 signalements en ")
