"""« Masquer des passages puis publier »: what the detector missed is masked everywhere the public looks, the
decision is audited without the passages, and the original text is kept for the retention period only."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.intake.models import Moderation, Report
from tests.conftest import make_cluster, make_report, make_user

QUEUE = "/agents/moderation"
PHONE = "06 12 34 56 78"
# The phone number is detected (so the report is held); the adviser's first name and desk are not.
TEXT = f"Le conseiller Kévin du guichet 4 de Roubaix refuse mon dossier, rappelez-moi au {PHONE}."
MISSED = "Kévin du guichet 4"
T0 = dt.datetime(2025, 1, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


@pytest.fixture
def held(db) -> dict[str, int]:
    """A public irritant whose label and keywords were drawn from a held report that names an adviser."""
    cluster = make_cluster(db, "Kévin du guichet 4 refuse les dossiers", reports=0)
    make_report(db, cluster=cluster, description="Mon dossier est refusé au guichet sans explication depuis un mois.")
    cluster.keywords = ["kevin", "guichet", "dossier", "roubaix"]
    report = make_report(db, cluster=cluster, description=TEXT)
    assert report.moderation == Moderation.PENDING
    cluster.excerpt_report_ids = [report.id]
    cluster.size = cluster.people = 2
    db.commit()
    return {"report": report.id, "cluster": cluster.id}


def csrf_of(client, url: str = QUEUE) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert match
    return match.group(1)


def form(client, report_id: int, action: str = "", **fields: str) -> Any:
    data = {"csrf_token": csrf_of(client), "expected": "pending", **fields}
    return client.post(f"{QUEUE}/{report_id}{action}", data=data)


def stored(app, report_id: int) -> Report:
    with get_db(app).session_scope() as s:
        return s.get(Report, report_id)


def events(app) -> list[Event]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(Event).order_by(Event.id)))


def bearer(app, *roles: str) -> dict[str, str]:
    with get_db(app).session_scope() as s:
        _token, raw = create_token(s, make_user(s, *roles), "modération")
        s.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_the_queue_offers_passages_to_mask_and_a_preview(app, client, held, login):
    login("product_owner")
    html = client.get(QUEUE).get_data(as_text=True)
    assert f'<textarea class="fr-input" id="masquer-{held["report"]}" name="mask"' in html
    assert f'formaction="/agents/moderation/{held["report"]}/apercu"' in html
    assert 'src="/static/js/moderation.js"' in html


def test_the_preview_shows_the_text_as_it_will_be_published_and_writes_nothing(app, client, held, login):
    login("product_owner")
    response = form(client, held["report"], "/apercu", mask=f"{MISSED}\n  kévin  ")
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200
    assert "Le conseiller [masqué] de Roubaix refuse mon dossier, rappelez-moi au [téléphone]." in html
    assert "Masquer ces passages et publier" in html
    assert stored(app, held["report"]).moderation == Moderation.PENDING and events(app) == []


def test_masking_then_publishing_hides_the_passage_from_every_public_output(app, client, held, login):
    user = login("product_owner")
    response = form(client, held["report"], decision="publish", mask=MISSED, reason="Prénom du conseiller")
    assert response.status_code == 303
    assert "1 passage masqué" in client.get(response.headers["Location"]).get_data(as_text=True)

    report = stored(app, held["report"])
    assert report.moderation == Moderation.PUBLISHED
    assert report.description == f"Le conseiller [masqué] de Roubaix refuse mon dossier, rappelez-moi au {PHONE}."
    assert report.original_description == TEXT and report.masked_at is not None
    public = [
        client.get(f"/irritants/{held['cluster']}").get_data(as_text=True),
        json.dumps(client.get(f"/api/v1/clusters/{held['cluster']}").get_json(), ensure_ascii=False),
        json.dumps(client.get("/api/v1/clusters").get_json(), ensure_ascii=False),
    ]
    assert "Le conseiller [masqué] de Roubaix" in public[0]
    for shown in public:
        assert "Kévin" not in shown and "kevin" not in shown and PHONE not in shown
    with get_db(app).session_scope() as s:
        cluster = s.get(Cluster, held["cluster"])
        assert cluster.label == "[masqué] refuse les dossiers"
        assert cluster.keywords == ["dossier", "roubaix"]  # words of the masked passage leave the keywords

    [event] = events(app)
    assert (event.action, event.subject_id, event.actor_id) == ("report.published", held["report"], user.id)
    assert event.after["masked_passages"] == 1 and event.reason == "Prénom du conseiller"
    # Events are kept forever: the passages themselves are never in them.
    assert "Kévin" not in json.dumps([event.before, event.after, event.reason], ensure_ascii=False)


def test_a_passage_that_is_not_in_the_text_is_refused_and_kept_in_the_form(app, client, held, login):
    login("product_owner")
    response = form(client, held["report"], decision="publish", mask=f"{MISSED}\nJean Dupont")
    html = response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')
    assert response.status_code == 422
    assert "« Jean Dupont » ne figure pas dans le texte" in html
    assert f"{MISSED}\nJean Dupont</textarea>" in html  # what was typed is not lost
    assert stored(app, held["report"]).description == TEXT and events(app) == []


def test_the_api_masks_a_list_of_passages_and_validates_each(app, client, held):
    headers = bearer(app, "product_owner")
    url = f"/api/v1/moderation/reports/{held['report']}/decision"
    for body, message in (
        ({"decision": "publish", "mask": ["Absent du texte"]}, "ne figure pas dans le texte"),
        ({"decision": "publish", "mask": ["K"]}, "trop court"),
        ({"decision": "publish", "mask": "Kévin"}, "Donnez une liste de passages"),
        ({"decision": "publish", "mask": [42]}, "doit être un texte"),
        ({"decision": "reject", "mask": ["Kévin"]}, "que pour publier"),
    ):
        refused = client.post(url, json=body, headers=headers)
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json", body
        assert refused.get_json()["errors"][0]["pointer"].startswith("#/mask"), body
        assert message in refused.get_json()["errors"][0]["detail"], body
    assert stored(app, held["report"]).moderation == Moderation.PENDING and events(app) == []

    done = client.post(url, json={"decision": "publish", "mask": ["KÉVIN", "guichet 4"]}, headers=headers)
    assert done.status_code == 200
    assert done.get_json()["masked"] is True
    assert done.get_json()["redacted"].startswith("Le conseiller [masqué] du [masqué] de Roubaix")
    assert events(app)[0].after["masked_passages"] == 2


def test_moderators_of_the_irritant_see_the_original_until_it_is_purged_others_never(app, client, held, login):
    form_client = app.test_client()
    login("product_owner", on=form_client)
    form(form_client, held["report"], decision="publish", mask=MISSED)
    page = form_client.get(f"/agents/irritants/{held['cluster']}").get_data(as_text=True)
    assert "Texte d’origine, avant les passages masqués" in page and "Kévin du guichet 4 de Roubaix" in page
    login("manager")
    page = client.get(f"/agents/irritants/{held['cluster']}").get_data(as_text=True)
    assert "Kévin" not in page and "Texte d’origine" not in page


def test_the_original_text_is_deleted_when_the_retention_period_ends(make_app, held, runner):
    app = make_app(PERSONAL_DATA_RETENTION_MONTHS=6)
    runner = app.test_cli_runner()
    headers = bearer(app, "admin")
    with time_machine.travel(T0, tick=False) as clock:
        url = f"/api/v1/moderation/reports/{held['report']}/decision"
        assert (
            app.test_client().post(url, json={"decision": "publish", "mask": [MISSED]}, headers=headers).status_code
            == 200
        )

        clock.move_to(T0 + dt.timedelta(days=180))  # 6 months later, a day short
        assert "0 texte d’origine supprimé " in runner.invoke(args=["purge-personal-data"]).output
        assert stored(app, held["report"]).original_description == TEXT

        clock.move_to(T0 + dt.timedelta(days=182))
        result = runner.invoke(args=["purge-personal-data"])
        assert "1 texte d’origine supprimé " in result.output, result.output
    report = stored(app, held["report"])
    assert report.original_description is None
    assert report.description.startswith("Le conseiller [masqué] de Roubaix")  # only the published text remains
    purged = events(app)[-1]
    assert purged.action == "report.originals_purged" and purged.after == {"deleted": 1}
