"""What a citizen reads of a squad's progress: the current sprint's goal and whether people still run into its
irritants (inflow), and from an irritant's page, the start-up d'État that works on it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from irritants.db import get_db, utcnow
from irritants.intake.models import Report
from irritants.squads import sprint_services
from tests.conftest import make_cluster, make_report, make_squad


@pytest.fixture
def squad_world(app):
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Aides au logement")
        worked = make_cluster(s, "Aide au logement suspendue sans explication", reports=2, squad_id=squad.id)
        old = utcnow() - dt.timedelta(days=45)
        # Two reports older than the window, three inside it.
        for report in s.scalars(select(Report).where(Report.cluster_id == worked.id)):
            report.created_at = old
        for days in (1, 5, 29):
            make_report(s, cluster=worked, created_at=utcnow() - dt.timedelta(days=days))
        other = make_cluster(s, "Carte grise bloquée", reports=1)
        today = dt.date.today()
        sprint = sprint_services.create_sprint(
            s, None, squad.id, starts_on=today - dt.timedelta(days=3), ends_on=today + dt.timedelta(days=10),
            goal="Débloquer les dossiers suspendus depuis plus d'un mois",
        )  # fmt: skip
        sprint_services.create_sprint(
            s, None, squad.id, starts_on=today + dt.timedelta(days=11), ends_on=today + dt.timedelta(days=24),
            goal="Objectif du sprint suivant",
        )  # fmt: skip
        s.flush()
        sprint_services.start_sprint(s, None, sprint.id)
        s.commit()
        return {"slug": squad.slug, "name": squad.name, "worked": worked.id, "other": other.id}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_public_squad_page_shows_the_running_sprint_goal_and_not_the_next_one(client, squad_world):
    html = client.get(f"/startups/{squad_world['slug']}").get_data(as_text=True)
    block = html.split('id="sprint-en-cours"', 1)[1].split("</div>", 1)[0]
    assert "Débloquer les dossiers suspendus depuis plus d'un mois" in _text(block).replace("&#39;", "'")
    assert "Sprint 1" in block
    assert "Objectif du sprint suivant" not in html


def test_the_public_squad_page_counts_only_the_last_thirty_days_in_the_inflow(client, squad_world):
    html = client.get(f"/startups/{squad_world['slug']}").get_data(as_text=True)
    table = html.split('id="irritants-pris-en-charge"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr>") if "Aide au logement suspendue" in r)
    cells = [_text(c).strip() for c in row.split("<td>")[1:]]
    assert cells[3] == "3"  # five reports, of which three in the last 30 days
    assert "30 derniers jours" in table


def test_a_squad_without_a_running_sprint_says_so(client, app):
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Sans sprint")
        s.commit()
        slug = squad.slug
    html = client.get(f"/startups/{slug}").get_data(as_text=True)
    assert "Pas de sprint en cours." in html


def test_an_irritant_page_links_to_the_squad_that_works_on_it(client, squad_world):
    html = client.get(f"/irritants/{squad_world['worked']}").get_data(as_text=True)
    assert f'href="/startups/{squad_world["slug"]}"' in html
    assert "Pris en charge par la start-up d’État" in html
    other = client.get(f"/irritants/{squad_world['other']}").get_data(as_text=True)
    assert 'id="equipe"' not in other
