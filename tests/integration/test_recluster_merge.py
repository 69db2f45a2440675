"""A batch run merges the groups that are one irritant told two ways, within one administration and démarche,
and never across administrations (irritants/clustering/merging.py called by clusters/recluster.py)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from irritants.clusters import recluster as batch
from irritants.db import get_db
from irritants.intake.models import Report, Source
from irritants.intake.services import submit_report
from irritants.settings import ClusteringEncoder, settings_of
from tests.conftest import TEST_SECRET, report_payload

# Four ways of telling, each a direction of the stand-in encoder. The two CAF ways are one irritant (the RSA
# démarche); the préfecture and ANTS ways are as close to each other as the CAF ones, but at two administrations.
WAYS = {
    "trop-percu": ("caf", "demande-rsa", "La CAF me réclame un trop-perçu de RSA sans explication"),
    "rembourser": ("caf", "demande-rsa", "J'ai reçu un courrier de la CAF disant que je dois rembourser mon RSA"),
    "rdv": ("prefecture", "renouvellement-titre-sejour", "Aucun rendez-vous en préfecture pour mon titre de séjour"),
    "ants": ("ants", "carte-identite", "Aucun rendez-vous pour ma carte d'identité sur le site de l'ANTS"),
}
DIM = 16


def direction(way: str) -> np.ndarray:
    base = np.eye(DIM)
    return {
        "trop-percu": base[0],
        "rembourser": 0.6 * base[0] + 0.8 * base[1],
        "rdv": base[2],
        "ants": 0.6 * base[2] + 0.8 * base[3],
    }[way]


class WaysEncoder:
    """An embedding-like encoder: a report's vector is its way's direction plus a little noise of its own."""

    name, dim = "test-ways-encoder", DIM

    def encode(self, texts, *, progress=None):
        out = []
        for text in texts:
            way = next(w for w, (_a, _p, words) in WAYS.items() if text.startswith(words))
            noise = np.random.default_rng(abs(hash(text)) % 2**32).standard_normal(DIM)
            vector = direction(way) + 0.03 * noise
            out.append(vector / np.linalg.norm(vector))
        if progress:
            progress(len(texts), len(texts))
        return np.array(out, dtype=np.float32)


@pytest.fixture
def ways_app(app, monkeypatch):
    encoder = WaysEncoder()
    monkeypatch.setattr(batch.engine, "encoder_kind", lambda clustering: ClusteringEncoder.EMBEDDING)
    monkeypatch.setattr(batch.engine, "current_encoder", lambda session, clustering, **kwargs: encoder)
    with app.app_context(), get_db(app).session_scope() as session:
        for way, (admin, procedure, words) in WAYS.items():
            for i in range(10):
                payload = report_payload(
                    description=f"{words}, cela dure depuis {i + 2} semaines ({way}).",
                    administration=admin,
                    procedure=procedure,
                    territory=f"{10 + i:02d}",
                )
                submit_report(session, payload, source=Source.API, secret_key=TEST_SECRET)
        session.commit()
    return app


def clusters_by_way(app, merge_threshold: float | None) -> dict[str, set[int]]:
    with app.app_context(), get_db(app).session_scope() as session:
        batch.recluster(session, settings_of(app).clustering, seed=0, merge_threshold=merge_threshold)
        session.commit()
        found: dict[str, set[int]] = {way: set() for way in WAYS}
        for description, cluster_id in session.execute(select(Report.description, Report.cluster_id)):
            found[description.rsplit("(", 1)[1].rstrip(").")].add(cluster_id)
        return found


def test_recluster_merges_two_ways_of_one_irritant_and_not_across_administrations(ways_app):
    # Without the merge the batch makes one irritant per way of telling.
    apart = clusters_by_way(ways_app, None)
    assert all(len(ids) == 1 for ids in apart.values())
    assert len(set().union(*apart.values())) == 4
    # Threshold 0.2: the centred centroids of the two CAF ways, and of the préfecture and ANTS ways, all reach it.
    merged = clusters_by_way(ways_app, 0.2)
    assert merged["trop-percu"] == merged["rembourser"]
    assert merged["rdv"] != merged["ants"]
    assert len(set().union(*merged.values())) == 3
