"""Emails and phone numbers written to slip past a plain pattern are held at intake like plain ones, and never
reach a public page, the public API or an irritant's title."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from irritants.db import get_db
from irritants.intake.models import Moderation, Report
from tests.conftest import report_payload

TEXTS = {
    "email": "Mon dossier RSA est bloqué depuis trois mois, écrivez-moi à jean.dupont [at] example [dot] com svp.",
    "email-fr": "Mon dossier RSA est bloqué depuis trois mois, écrivez-moi à jean arobase example point com svp.",
    "phone": "Mon dossier RSA est bloqué depuis trois mois, rappelez-moi au zéro six douze trente-quatre "
    "cinquante-six soixante-dix-huit.",
    "phone-slashes": "Mon dossier RSA est bloqué depuis trois mois, rappelez-moi au 06/12/34/56/78 en journée.",
}
LEAKS = ("jean", "example", "zéro six", "soixante-dix-huit", "06/12/34/56/78")


@pytest.mark.parametrize("name", list(TEXTS))
def test_an_obfuscated_email_or_phone_holds_the_report(app, client, name):
    response = client.post("/api/v1/reports", json=report_payload(description=TEXTS[name]))
    assert response.status_code == 201
    with get_db(app).session_scope() as s:
        report = s.scalar(select(Report))
        assert report.moderation == Moderation.PENDING
        assert report.moderation_reasons == [name.split("-")[0]]


def test_once_published_their_text_is_masked_in_excerpts_api_and_title(app, client, runner):
    for text in TEXTS.values():
        assert client.post("/api/v1/reports", json=report_payload(description=text)).status_code == 201
    with get_db(app).session_scope() as s:
        # A moderator publishes them: the public sees the redacted text only.
        s.execute(update(Report).values(moderation=Moderation.PUBLISHED))
        s.commit()
    assert runner.invoke(args=["recluster"]).exit_code == 0  # titles and excerpts drawn from these texts
    with get_db(app).session_scope() as s:
        cluster_ids = set(s.scalars(select(Report.cluster_id)))
    assert cluster_ids and None not in cluster_ids
    for cluster_id in cluster_ids:
        detail = client.get(f"/api/v1/clusters/{cluster_id}").get_json()
        page = client.get(f"/irritants/{cluster_id}").get_data(as_text=True)
        shown = " ".join([detail["label"], *detail["excerpts"], page])
        assert detail["excerpts"]
        assert not [leak for leak in LEAKS if leak in shown]
        assert "[courriel]" in shown or "[téléphone]" in shown
