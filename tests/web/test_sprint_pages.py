"""The pages of a squad's sprints (/agents/equipes/<slug>/sprints…) through the real HTTP stack, CSRF on: the list,
one sprint with its items and charts whose tables carry the figures ``sprint_progress`` computes, and the forms of
its product owners (create, edit, start, close), refused ones shown on the page with nothing written."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from typing import Any

import pytest
from sqlalchemy import select

from irritants.charts import number_fr
from irritants.clusters.stats import people_since
from irritants.db import get_db, utcnow
from irritants.french import to_paris_time
from irritants.squads import backlog, sprint_progress
from irritants.squads.sprint_services import close_sprint, create_sprint, start_sprint
from irritants.squads.sprints import BacklogItem, Sprint
from tests.conftest import make_cluster, make_squad

TODAY = to_paris_time(utcnow()).date()  # burndown days are days in Paris


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@pytest.fixture
def world(app) -> dict[str, Any]:
    return build_sprints(app)


def build_sprints(app) -> dict[str, Any]:
    """Squad A with a closed sprint 1 (5 points done, 2 points left over), an active sprint 2 that runs around
    today with items done, in progress, added mid-sprint and linked to an irritant; squad B with nothing."""
    with app.app_context(), get_db(app).session_scope() as s:
        squad, other = make_squad(s, "Rendez-vous préfecture"), make_squad(s, "Aides au logement")
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", reports=3, squad_id=squad.id, status="planned")
        first_start = TODAY - dt.timedelta(days=20)
        one = create_sprint(s, None, squad.id, starts_on=first_start, ends_on=first_start + dt.timedelta(days=9))
        start_sprint(s, None, one.id, now=at(first_start))
        done = backlog.create_item(
            s, None, squad.id, title="Rappel par SMS", points=5, sprint_id=one.id, now=at(first_start)
        )
        backlog.create_item(s, None, squad.id, title="Export CSV", points=2, sprint_id=one.id, now=at(first_start))
        backlog.change_state(s, None, done.id, "done", now=at(first_start + dt.timedelta(days=3)))
        close_sprint(s, None, one.id, unfinished="backlog", now=at(first_start + dt.timedelta(days=9), 18))

        start = TODAY - dt.timedelta(days=3)
        two = create_sprint(
            s, None, squad.id, starts_on=start, ends_on=start + dt.timedelta(days=9), goal="Des créneaux le samedi"
        )
        start_sprint(s, None, two.id, now=at(start))
        slots = backlog.create_item(
            s,
            None,
            squad.id,
            title="Créneaux du samedi",
            points=8,
            sprint_id=two.id,
            cluster_ids=[cluster.id],
            now=at(start),
        )
        sms = backlog.create_item(s, None, squad.id, title="Relance par SMS", points=3, sprint_id=two.id, now=at(start))
        backlog.create_item(
            s, None, squad.id, title="Page d'aide", points=2, sprint_id=two.id, now=at(start + dt.timedelta(days=1))
        )  # scope change mid-sprint
        backlog.change_state(s, None, sms.id, "done", now=at(start + dt.timedelta(days=2)))
        backlog.change_state(s, None, slots.id, "in_progress", now=at(start + dt.timedelta(days=2)))
        s.commit()
        return {"squad": squad.id, "slug": squad.slug, "other": other.slug, "one": one.id, "two": two.id}


def text(response: Any) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def csrf(client, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, "CSRF token missing"
    return match.group(1)


def post(client, path: str, page: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": csrf(client, page), **data})


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The cells of a table's body, tags removed, by the id of its DSFR wrapper."""
    segment = page[page.index(f'id="{table_id}"') :]
    body = segment[segment.index("<tbody>") : segment.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def sprints(app) -> list[tuple[Any, ...]]:
    with get_db(app).session_scope() as s:
        rows = s.execute(select(Sprint.number, Sprint.starts_on, Sprint.ends_on, Sprint.goal, Sprint.state))
        return sorted(tuple(r) for r in rows)


def test_the_list_shows_each_sprint_with_its_dates_state_goal_and_points_done(app, client, login, world):
    login("squad_member", squads=[])
    page = text(client.get(f"/agents/equipes/{world['slug']}/sprints"))
    rows = table_rows(page, "liste-sprints")
    two_start = TODAY - dt.timedelta(days=3)
    one_start = TODAY - dt.timedelta(days=20)
    assert rows == [
        [
            "Sprint 2",
            f"du {two_start:%d/%m/%Y} au {two_start + dt.timedelta(days=9):%d/%m/%Y}",
            "en cours",
            "Des créneaux le samedi",
            "3 (à ce jour)",
        ],
        ["Sprint 1", f"du {one_start:%d/%m/%Y} au {one_start + dt.timedelta(days=9):%d/%m/%Y}", "terminé", "—", "5"],
    ]
    assert "Prévoir un sprint" not in page  # a member reads, only product owners and admins plan


def test_the_sprint_page_shows_its_items_by_state_and_charts_whose_tables_hold_sprint_progress_figures(
    app, client, login, world
):
    login("manager")
    response = client.get(f"/agents/equipes/{world['slug']}/sprints/2")
    assert response.status_code == 200
    page = text(response)
    with get_db(app).session_scope() as s:
        days = sprint_progress.sprint_burndown(s, world["two"], people=people_since)
        velocity = sprint_progress.squad_velocity(s, world["squad"])

    def shown(value: float | None) -> str:
        return "à venir" if value is None else number_fr(value)

    assert table_rows(page, "burndown-points-tableau") == [
        [f"{d.date:%d/%m/%Y}", shown(d.points_remaining), shown(d.ideal), shown(d.scope)] for d in days
    ]
    assert table_rows(page, "burndown-personnes-tableau") == [
        [f"{d.date:%d/%m/%Y}", shown(d.people_affected)] for d in days
    ]
    assert table_rows(page, "velocite-tableau") == [
        [f"Sprint {r.number}", str(r.points_done), str(r.irritants_fixed)] for r in velocity
    ]
    # The constructed sprint, as the figures must say it: 11 points at first, 13 after the mid-sprint addition,
    # 3 done the third day; 3 people affected by the linked irritant, not fixed; sprint 1 closed with 5 points done.
    today = next(d for d in days if d.date == TODAY)
    assert (days[0].scope, days[1].scope, today.points_remaining, today.people_affected) == (11, 13, 10, 3)
    assert days[-1].points_remaining is None  # a day still to come
    assert [(r.number, r.points_done) for r in velocity] == [(1, 5)]
    # Items by state, and the charts are images with a name and a description.
    assert re.search(r"À faire \(1\).*Page d'aide.*En cours \(1\).*Créneaux du samedi.*Fait \(1\).*Relance", page, re.S)
    for chart in ("burndown-points", "burndown-personnes", "velocite-points", "velocite-irritants"):
        assert re.search(rf'<svg class="irritants-chart" id="{chart}" role="img" aria-labelledby="{chart}-titre"', page)
        assert f'<title id="{chart}-titre">' in page and f'<desc id="{chart}-desc">' in page
    assert "style=" not in page.split("<main", 1)[1] and "<style" not in page  # the CSP allows neither
    assert "Gérer le sprint" not in page  # managers follow every squad, and change none


def test_creating_an_overlapping_sprint_shows_the_error_on_its_field_and_writes_nothing(app, client, login, world):
    login("product_owner", squads=[_squad(app, world)])
    page = f"/agents/equipes/{world['slug']}/sprints"
    before = sprints(app)
    overlap = (TODAY + dt.timedelta(days=2)).isoformat()
    response = post(
        client,
        page,
        page,
        {"starts_on": overlap, "ends_on": (TODAY + dt.timedelta(days=12)).isoformat(), "goal": "Chevauche"},
    )
    assert response.status_code == 422
    body = text(response)
    assert re.search(r'id="nouveau-starts_on-error">Ces dates chevauchent le sprint 2 de l\'équipe', body)
    field = f'id="nouveau-starts_on" name="starts_on" value="{overlap}" required aria-required="true" aria-invalid'
    assert field in body
    assert '<a href="#nouveau-starts_on">Premier jour : Ces dates chevauchent' in body
    backwards = post(client, page, page, {"starts_on": "2030-01-10", "ends_on": "2030-01-03"})
    assert backwards.status_code == 422 and 'id="nouveau-ends_on-error">La date de fin' in text(backwards)
    assert sprints(app) == before


def _squad(app, world):
    from irritants.squads.models import Squad

    with get_db(app).session_scope() as s:
        return s.get(Squad, world["squad"])


def test_a_product_owner_plans_a_sprint_and_lands_on_its_page(app, client, login, world):
    login("product_owner", squads=[_squad(app, world)])
    page = f"/agents/equipes/{world['slug']}/sprints"
    starts = TODAY + dt.timedelta(days=7)
    response = post(
        client,
        page,
        page,
        {"starts_on": starts.isoformat(), "ends_on": (starts + dt.timedelta(days=9)).isoformat(), "goal": "Suite"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/sprints/3")
    shown = text(client.get(response.headers["Location"]))
    assert f"Sprint 3 prévu du {starts:%d/%m/%Y}" in shown and "Commencer le sprint 3" in shown
    assert (3, starts, starts + dt.timedelta(days=9), "Suite", "planned") in sprints(app)


def test_closing_with_unfinished_items_sends_them_to_the_product_backlog_and_says_so(app, client, login, world):
    login("admin")
    page = f"/agents/equipes/{world['slug']}/sprints/2"
    shown = text(client.get(page))
    assert "Où vont les 2 éléments non terminés ?" in shown
    assert re.search(r'value="next_sprint" disabled', shown)  # no sprint planned after this one
    with get_db(app).session_scope() as s:
        version = s.get(Sprint, world["two"]).version
    missing = post(client, f"{page}/cloture", page, {"expected_version": str(version)})
    assert missing.status_code == 422 and 'id="terminer-unfinished-error">Dites où vont' in text(missing)
    response = post(client, f"{page}/cloture", page, {"unfinished": "backlog", "expected_version": str(version)})
    assert response.status_code == 303
    shown = text(client.get(page))
    assert "Sprint 2 terminé : 2 éléments non terminés retournent dans le backlog produit." in shown
    assert "Éléments non terminés à la clôture : renvoyés dans le backlog produit" in shown
    with get_db(app).session_scope() as s:
        sprint = s.get(Sprint, world["two"])
        listed = s.scalars(select(BacklogItem).where(BacklogItem.squad_id == sprint.squad_id))
        items = {i.title: i.sprint_id for i in listed}
    assert (sprint.state, sprint.unfinished_to) == ("closed", "backlog")
    assert (items["Créneaux du samedi"], items["Page d'aide"], items["Relance par SMS"]) == (None, None, world["two"])


def test_an_edit_on_a_stale_version_is_refused_409_and_changes_nothing(app, client, login, world):
    login("product_owner", squads=[_squad(app, world)])
    page = f"/agents/equipes/{world['slug']}/sprints/2"
    before = sprints(app)
    response = post(client, f"{page}/modification", page, {"goal": "Autre objectif", "expected_version": "1"})
    assert response.status_code == 409
    assert "Ce sprint a été modifié entre-temps" in text(response)
    assert sprints(app) == before
    with get_db(app).session_scope() as s:
        version = s.get(Sprint, world["two"]).version
    saved = post(
        client,
        f"{page}/modification",
        page,
        {"goal": "Autre objectif", "review_notes": "Démo jeudi.", "expected_version": str(version)},
    )
    assert saved.status_code == 303
    shown = text(client.get(page))
    assert "Objectif : Autre objectif" in shown and "Démo jeudi." in shown


def test_a_member_reads_but_may_not_manage_and_a_manager_neither(app, client, login, world):
    page = f"/agents/equipes/{world['slug']}/sprints/2"
    login("squad_member", squads=[_squad(app, world)])
    assert client.get(page).status_code == 200
    before = sprints(app)
    assert post(client, f"{page}/modification", page, {"goal": "Non"}).status_code == 403
    assert (
        post(
            client,
            f"/agents/equipes/{world['slug']}/sprints",
            page,
            {"starts_on": "2031-01-06", "ends_on": "2031-01-17"},
        ).status_code
        == 403
    )
    manager = app.test_client()
    login("manager", on=manager)
    assert manager.get(page).status_code == 200
    assert post(manager, f"{page}/cloture", page, {"unfinished": "backlog"}).status_code == 403
    assert sprints(app) == before


def test_anonymous_callers_go_to_sign_in_and_unknown_sprints_are_404(app, client, login, world):
    response = client.get(f"/agents/equipes/{world['slug']}/sprints/2")
    assert response.status_code == 302 and "/agents/connexion" in response.headers["Location"]
    login("squad_member")
    assert client.get(f"/agents/equipes/{world['slug']}/sprints/9").status_code == 404
    assert client.get(f"/agents/equipes/{world['slug']}/sprints/99999999999").status_code == 404
    assert client.get(f"/agents/equipes/{world['other']}/sprints/1").status_code == 404  # squad B has no sprint 1
    assert client.get("/agents/equipes/inconnue/sprints").status_code == 404
