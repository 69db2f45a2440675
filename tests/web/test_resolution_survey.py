"""« Est-ce résolu pour vous ? » on citizens' pages: asked on the tracking page once the irritant is fixed, one click
without JavaScript, changeable; a mail's link only proposes an answer (GET writes nothing); CSRF required; the
supporters' signed link; the API's answer by tracking token."""

from __future__ import annotations

import html as html_text
import re

import pytest
from sqlalchemy import select

from irritants.clusters.models import Support
from irritants.db import get_db
from irritants.feedback import support_survey_links, survey_links
from irritants.feedback.models import Answer, ResolutionAnswer
from irritants.feedback.signing import support_token
from irritants.intake.models import Report
from irritants.status import StatusKind
from tests.conftest import TEST_SECRET, make_cluster, report_payload


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def filed(client, db, cluster) -> tuple[str, int]:
    """A citizen's report put in ``cluster``: (its tracking token, its id)."""
    db.commit()
    body = client.post("/api/v1/reports", json=report_payload()).get_json()
    report = db.scalar(select(Report).where(Report.reference == body["reference"]))
    report.cluster_id = cluster.id
    db.commit()
    return body["tracking_token"], report.id


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def rows(db) -> list[tuple[int | None, int | None, Answer]]:
    found = list(db.execute(select(ResolutionAnswer.report_id, ResolutionAnswer.support_id, ResolutionAnswer.answer)))
    db.rollback()  # ends the read: the next request writes (SQLite: one writer at a time)
    return found


def question(html: str) -> str:
    return html.split('id="resolu"')[1].split("</section>")[0] if 'id="resolu"' in html else ""


@pytest.mark.parametrize("status", [StatusKind.TRIAGED, StatusKind.IN_PROGRESS, StatusKind.CLOSED_NOT_FIXED])
def test_the_question_is_not_offered_before_the_fix(client, db, status):
    token, _ = filed(client, db, make_cluster(db, reports=1, status=status))
    assert "Est-ce résolu pour vous" not in client.get(f"/suivi/{token}").get_data(as_text=True)
    page = client.get(f"/suivi/{token}/resolu?reponse=oui").get_data(as_text=True)
    assert "Est-ce résolu pour vous" not in page
    csrf = csrf_of(client.get("/").get_data(as_text=True))  # the session's token, from the report form
    response = client.post(f"/suivi/{token}/resolu", data={"csrf_token": csrf, "reponse": "oui"})
    assert response.status_code == 409
    assert rows(db) == []


def test_a_fixed_irritants_reporter_answers_in_one_click_then_changes_it(client, db):
    cluster = make_cluster(db, reports=1, status=StatusKind.FIXED)
    token, report_id = filed(client, db, cluster)
    page = client.get(f"/suivi/{token}").get_data(as_text=True)
    form = question(page)
    assert "Est-ce résolu pour vous ?" in form and 'method="post"' in form
    assert re.findall(r'name="reponse" value="([^"]+)"', form) == ["oui", "non", "en_partie"]
    assert "Votre réponse actuelle" not in form

    response = client.post(f"/suivi/{token}/resolu", data={"csrf_token": csrf_of(page), "reponse": "en_partie"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/suivi/{token}#resolu")
    assert rows(db) == [(report_id, None, Answer.PARTLY)]
    page = client.get(f"/suivi/{token}").get_data(as_text=True)
    assert "votre réponse « En partie » est enregistrée" in html_text.unescape(page)
    assert "Votre réponse actuelle : <strong>En partie</strong>" in question(page)

    client.post(f"/suivi/{token}/resolu", data={"csrf_token": csrf_of(page), "reponse": "non"})
    assert rows(db) == [(report_id, None, Answer.NO)]


def test_an_answer_needs_the_csrf_token_and_a_known_value(client, db):
    token, _ = filed(client, db, make_cluster(db, reports=1, status=StatusKind.FIXED))
    assert client.post(f"/suivi/{token}/resolu", data={"reponse": "oui"}).status_code == 400
    page = client.get(f"/suivi/{token}").get_data(as_text=True)
    assert (
        client.post(f"/suivi/{token}/resolu", data={"csrf_token": csrf_of(page), "reponse": "yes!"}).status_code == 422
    )
    assert client.post("/suivi/inconnu/resolu", data={"csrf_token": csrf_of(page), "reponse": "oui"}).status_code == 404
    assert rows(db) == []


def test_a_mails_link_proposes_the_answer_and_writes_nothing(app, client, db):
    token, report_id = filed(client, db, make_cluster(db, reports=1, status=StatusKind.FIXED))
    with app.test_request_context():
        links = survey_links(token)
    assert links[Answer.NO] == f"http://irritants.test/suivi/{token}/resolu?reponse=non"
    assert set(links) == set(Answer)
    response = client.get(links[Answer.NO])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    form = question(response.get_data(as_text=True))
    assert re.findall(r'name="reponse" value="([^"]+)"', form) == ["non"]  # one button: confirm
    assert "Confirmer « Non »" in html_text.unescape(form)
    assert rows(db) == []  # a mail scanner following the link answers nothing
    client.post(f"/suivi/{token}/resolu", data={"csrf_token": csrf_of(form), "reponse": "non"})
    assert rows(db) == [(report_id, None, Answer.NO)]


def test_a_reporter_merged_into_a_fixed_irritant_is_asked_about_it(client, db):
    original = make_cluster(db, reports=1, status=StatusKind.FIXED)
    duplicate = make_cluster(db, "Autre façon de le dire", reports=1)
    duplicate.status, duplicate.duplicate_of_id = StatusKind.DUPLICATE, original.id
    token, _ = filed(client, db, duplicate)
    assert original.label in question(client.get(f"/suivi/{token}").get_data(as_text=True))


def test_a_supporters_signed_link_answers_for_their_support(app, client, db):
    cluster = make_cluster(db, reports=1, status=StatusKind.FIXED)
    support = Support(cluster_id=cluster.id, person_key="s1")
    db.add(support)
    db.commit()
    with app.test_request_context():
        link = support_survey_links(support.id)[Answer.YES]
    assert link.startswith("http://irritants.test/resolu/") and link.endswith("?reponse=oui")
    page = client.get(link).get_data(as_text=True)
    assert "Confirmer « Oui »" in html_text.unescape(question(page)) and rows(db) == []
    path = link.split("irritants.test")[1].split("?")[0]
    response = client.post(path, data={"csrf_token": csrf_of(page), "reponse": "oui"})
    assert response.status_code == 303
    assert rows(db) == [(None, support.id, Answer.YES)]
    # Another support's id, or the signature of another salt, leads nowhere.
    forged = support_token("another-secret", support.id)
    assert client.get(f"/resolu/{forged}").status_code == 404
    assert client.get(f"/resolu/{support_token(TEST_SECRET, support.id + 1000)}").status_code == 404


def test_a_supporter_is_told_the_question_comes_with_the_fix(client, db):
    cluster = make_cluster(db, reports=1, status=StatusKind.PLANNED)
    support = Support(cluster_id=cluster.id, person_key="s2")
    db.add(support)
    db.commit()
    page = client.get(f"/resolu/{support_token(TEST_SECRET, support.id)}").get_data(as_text=True)
    assert "vous sera posée ici quand l’équipe aura corrigé" in page and 'id="resolu"' not in page


def test_the_api_answers_by_tracking_token(client, db):
    fixed = make_cluster(db, reports=1, status=StatusKind.FIXED)
    token, report_id = filed(client, db, fixed)
    response = client.post(f"/api/v1/reports/{token}/resolution", json={"answer": "oui"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["answer"], body["cluster_id"], body["changed_at"]) == ("oui", fixed.id, None)
    body = client.post(f"/api/v1/reports/{token}/resolution", json={"answer": "en_partie"}).get_json()
    assert body["answer"] == "en_partie" and body["changed_at"] is not None
    assert rows(db) == [(report_id, None, Answer.PARTLY)]

    refused = client.post(f"/api/v1/reports/{token}/resolution", json={"answer": "yes"})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert [e["pointer"] for e in refused.get_json()["errors"]] == ["#/answer"]
    assert client.post("/api/v1/reports/inconnu/resolution", json={"answer": "oui"}).status_code == 404

    open_token, _ = filed(client, db, make_cluster(db, "Pas encore corrigé", reports=1))
    conflict = client.post(f"/api/v1/reports/{open_token}/resolution", json={"answer": "non"})
    assert conflict.status_code == 409 and conflict.mimetype == "application/problem+json"
    assert conflict.get_json()["type"].endswith("/not-fixed-yet")
    assert len(rows(db)) == 1
