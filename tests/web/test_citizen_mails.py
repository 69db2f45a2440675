"""The reporter's mails through the outbox and a real SMTP server: the tracking links asked for again (one mail
listing every report of the address, none for an unknown one; the links work), an agent's question (the tracking
link, the question, no agent's address), and what a withdrawal or an erased address takes out of the queue."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from irritants.db import get_db, utcnow
from irritants.outbox.models import OutboxMessage
from irritants.outbox.services import Mail, queue_mail
from tests.conftest import make_cluster, make_squad, make_user, sign_in
from tests.web.test_citizen_followup import ADDRESS, filed, post

QUESTION = "Depuis quand le site refuse-t-il votre dossier ?"


@pytest.fixture
def app(make_app: Any, smtp: Any, smtp_recorder: Any) -> Any:
    return make_app(SMTP_URL=smtp.url)


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def queued(db, **where: Any) -> int:
    count = db.scalar(select(func.count()).select_from(OutboxMessage).filter_by(**where))
    db.rollback()
    return count


def later_mail(db, report_id: int) -> None:
    """A mail about the report, queued to go tomorrow (still in the queue)."""
    tomorrow = utcnow() + dt.timedelta(days=1)
    mail = Mail(to=ADDRESS, subject="Plus tard", text="…")
    queue_mail(db, mail, topic="status", report_id=report_id, send_after=tomorrow)
    db.commit()


def test_lost_links_come_in_one_mail_for_a_known_address_only_and_still_work(app, client, db, smtp_recorder):
    first, _ = filed(client, db)
    second, _ = filed(client, db, email=ADDRESS.title())
    smtp_recorder.messages.clear()  # the acknowledgements

    post(client, "/suivi/retrouver", {"email": "personne@example.org"})
    assert smtp_recorder.messages == [] and queued(db, topic="tracking_link") == 0

    post(client, "/suivi/retrouver", {"email": ADDRESS})
    [mail] = smtp_recorder.messages
    assert mail["Subject"] == "Vos 2 liens de suivi"
    assert mail["To"] == ADDRESS.title()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    found = re.findall(r"http://irritants\.test/suivi/[\w-]+", text)  # the list, then the footer's unsubscribe link
    links = [link for link in dict.fromkeys(found) if "retrouver" not in link]
    assert "http://irritants.test/suivi/retrouver" in text  # where to ask again
    assert links == [f"http://irritants.test/suivi/{first}", f"http://irritants.test/suivi/{second}"]
    assert all(f'href="{link}"' in html for link in links)
    for link in links:  # the links sent again are the reports' own: they open the tracking pages
        assert client.get(link.removeprefix("http://irritants.test")).status_code == 200
    assert queued(db, topic="tracking_link") == 1


def test_a_question_is_mailed_with_the_tracking_link_and_no_agents_address(app, client, db, smtp_recorder):
    squad = make_squad(db)
    cluster = make_cluster(db, reports=1, squad_id=squad.id)
    po = make_user(db, "product_owner", squads=[squad])
    po_email, cluster_id = po.email, cluster.id
    agents = app.test_client()
    sign_in(agents, po)
    token, report_id = filed(client, db, cluster)
    smtp_recorder.messages.clear()

    url = f"/agents/irritants/{cluster_id}"
    response = post(agents, f"{url}/questions", {"signalement": str(report_id), "question": QUESTION}, url)
    assert response.status_code == 303
    [mail] = smtp_recorder.messages
    assert mail["To"] == ADDRESS
    assert mail["Subject"].startswith("Une question sur votre signalement ")
    assert mail["Reply-To"] is None
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert QUESTION in text and QUESTION in html
    assert f"http://irritants.test/suivi/{token}#echanges" in text
    assert po_email not in mail.as_string()
    assert queued(db, topic="question", report_id=report_id) == 1


def test_withdrawing_takes_the_reports_queued_mails_out(app, client, db, smtp_recorder):
    token, report_id = filed(client, db)
    later_mail(db, report_id)
    assert queued(db, report_id=report_id) == 2  # the acknowledgement (sent) and the one to come

    post(client, f"/suivi/{token}/retirer", {}, page=f"/suivi/{token}/retirer")
    assert queued(db) == 0


def test_erasing_the_address_takes_its_queued_mails_out_and_keeps_the_report(app, client, db, smtp_recorder):
    token, report_id = filed(client, db)
    later_mail(db, report_id)

    post(client, f"/suivi/{token}/effacer-adresse", {}, page=f"/suivi/{token}/effacer-adresse")
    assert queued(db, report_id=report_id) == 0
    assert client.get(f"/suivi/{token}").status_code == 200
