"""A squad's page for agents (« mon équipe »): the current sprint's board by state, the product backlog by rank, the
forms that move items along (no JavaScript), who may use them, the conflict message of a stale form, adding and
editing items and their links to irritants, and where a squad's people land after signing in."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from irritants.db import get_db
from irritants.squads import backlog
from irritants.squads.sprint_services import create_sprint, start_sprint
from irritants.squads.sprints import BacklogItem, BacklogItemChange, BacklogItemCluster, ItemField
from tests.conftest import PASSWORD, make_cluster, make_squad, make_user


@pytest.fixture
def world(app) -> dict[str, Any]:
    """Squad A with an active sprint (two items to do, one in progress) and a product backlog of three; squad B."""
    with get_db(app).session_scope() as s:
        squad, other = make_squad(s, "Rendez-vous en ligne"), make_squad(s, "Aides au logement")
        owned = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status="planned", reports=2)
        start = dt.date.today() - dt.timedelta(days=2)
        sprint = create_sprint(s, None, squad.id, starts_on=start, ends_on=start + dt.timedelta(days=11))
        start_sprint(s, None, sprint.id)

        def item(title: str, **kw: Any) -> int:
            return backlog.create_item(s, None, squad.id, title=title, **kw).id

        ids = {
            "todo": item("Créneaux du samedi", points=3, sprint_id=sprint.id, cluster_ids=[owned.id]),
            "todo2": item("Rappel par SMS", points=2, sprint_id=sprint.id),
            "doing": item("File d'attente honnête", points=5, sprint_id=sprint.id),
            "b1": item("Confirmation par courriel"),
            "b2": item("Annulation en ligne"),
            "b3": item("Créneaux pour les familles"),
        }
        backlog.change_state(s, None, ids["doing"], "in_progress")
        s.commit()
        return {**ids, "squad": squad, "other": other, "slug": squad.slug, "sprint": sprint.id, "cluster": owned.id}


def page_url(w: dict[str, Any]) -> str:
    return f"/agents/equipes/{w['slug']}"


def item_url(w: dict[str, Any], name: str, tail: str = "") -> str:
    return f"{page_url(w)}/elements/{w[name]}{tail}"


def form_of(client, url: str, item_id: int | None = None) -> dict[str, str]:
    """The CSRF token of a page and the version of an item as its forms post it."""
    html = client.get(url).get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)}
    if item_id is not None:
        card = html[html.index(f'id="element-{item_id}"') :]
        data["expected_version"] = re.search(r'name="expected_version" value="(\d+)"', card).group(1)
    return data


def column(html: str, state: str) -> list[str]:
    """Titles of the cards in one column of the board."""
    start = html.index(f'id="colonne-{state}"')
    end = html.find("</section>", start)
    return re.findall(r'class="fr-card__title" id="element-\d+-titre"><a href="[^"]+">([^<]+)</a>', html[start:end])


def backlog_titles(html: str) -> list[str]:
    start = html.index('id="backlog-produit"')
    end = html.find("</section>", start)
    return re.findall(r'class="fr-card__title" id="element-\d+-titre"><a href="[^"]+">([^<]+)</a>', html[start:end])


def item_row(app, item_id: int) -> BacklogItem:
    with get_db(app).session_scope() as s:
        return s.get(BacklogItem, item_id)


def changes(app, item_id: int, field: ItemField) -> list[tuple[str | None, str | None, str, int | None]]:
    with get_db(app).session_scope() as s:
        rows = s.scalars(
            select(BacklogItemChange)
            .where(BacklogItemChange.item_id == item_id, BacklogItemChange.field == field)
            .order_by(BacklogItemChange.id)
        )
        return [(c.old_value, c.new_value, c.actor, c.actor_id) for c in rows]


def test_the_board_shows_the_active_sprint_by_column_and_the_product_backlog_by_rank(client, login, world):
    login("manager")
    html = client.get(page_url(world)).get_data(as_text=True)
    assert "Tableau du sprint 1 (en cours)" in html
    assert column(html, "todo") == ["Créneaux du samedi", "Rappel par SMS"]
    assert column(html, "in_progress") == ["File d&#39;attente honnête"]
    assert column(html, "done") == []
    assert backlog_titles(html) == ["Confirmation par courriel", "Annulation en ligne", "Créneaux pour les familles"]
    # The linked irritant, with its agent status, links to its back-office page; the squad's irritants are listed.
    assert f'href="/agents/irritants/{world["cluster"]}">n° {world["cluster"]} — Aucun créneau' in html
    assert "Planifié" in html or "planifié" in html.lower()
    assert f'href="/agents/irritants?squad={world["squad"].id}"' in html
    assert f'href="/agents/equipes/{world["slug"]}/sprints/1"' in html
    # A manager reads but moves nothing: no buttons.
    assert "Passer à En cours" not in html and "Monter" not in html and "Ajouter l’élément" not in html


def test_moving_an_item_changes_its_state_logs_who_and_lands_on_its_card(app, client, login, world):
    member = login("squad_member", squads=[world["squad"]])
    data = {**form_of(client, page_url(world), world["todo"]), "state": "in_progress"}
    response = client.post(item_url(world, "todo", "/etat"), data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"?element={world['todo']}#element-{world['todo']}")
    assert item_row(app, world["todo"]).state == "in_progress"
    assert changes(app, world["todo"], ItemField.STATE)[-1] == ("todo", "in_progress", member.email, member.id)

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert column(html, "in_progress") == ["Créneaux du samedi", "File d&#39;attente honnête"]
    assert "« Créneaux du samedi » : en cours." in html  # the notice
    # The moved card takes the focus and is described by the notice.
    card = f'id="element-{world["todo"]}" tabindex="-1" aria-labelledby="element-{world["todo"]}-titre"'
    assert card + ' aria-describedby="messages"' in html


def test_an_item_leaves_the_sprint_for_the_backlog_and_goes_back_in(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    data = {**form_of(client, page_url(world), world["todo2"]), "sprint": "backlog"}
    assert client.post(item_url(world, "todo2", "/sprint"), data=data).status_code == 303
    assert item_row(app, world["todo2"]).sprint_id is None
    data = {**form_of(client, page_url(world), world["todo2"]), "sprint": str(world["sprint"])}
    response = client.post(item_url(world, "todo2", "/sprint"), data=data)
    assert response.status_code == 303
    assert item_row(app, world["todo2"]).sprint_id == world["sprint"]
    assert "est dans le sprint 1" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_up_down_and_top_reorder_the_product_backlog(app, client, login, world):
    login("product_owner", squads=[world["squad"]])
    for name, move in (("b3", "top"), ("b1", "down"), ("b2", "up")):
        data = {**form_of(client, page_url(world), world[name]), "move": move}
        assert client.post(item_url(world, name, "/rang"), data=data).status_code == 303
    html = client.get(page_url(world)).get_data(as_text=True)
    # top: b3 b1 b2 → down b1: b3 b2 b1 → up b2: b2 b3 b1
    assert backlog_titles(html) == ["Annulation en ligne", "Créneaux pour les familles", "Confirmation par courriel"]
    ranks = [item_row(app, world[n]).rank for n in ("b2", "b3", "b1")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 3


def test_a_stale_form_says_the_item_changed_meanwhile_and_changes_nothing(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    seen = form_of(client, page_url(world), world["todo"])
    with get_db(app).session_scope() as s:  # someone else, meanwhile
        backlog.change_state(s, None, world["todo"], "done")
        s.commit()
    before = item_row(app, world["todo"])
    response = client.post(item_url(world, "todo", "/etat"), data={**seen, "state": "in_progress"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "modifié entre-temps par quelqu&#39;un d&#39;autre" in html
    assert f'href="#element-{world["todo"]}"' in html
    after = item_row(app, world["todo"])
    assert (after.state, after.version) == (before.state, before.version) == ("done", before.version)


@pytest.mark.parametrize("who", ["other_squad_member", "manager", "no_role"])
def test_who_is_not_in_the_squad_may_not_move_its_items(app, client, login, world, who):
    roles = {"other_squad_member": ("squad_member",), "manager": ("manager",), "no_role": ()}[who]
    login(*roles, squads=[world["other"]] if who == "other_squad_member" else [])
    token = form_of(client, "/agents/mot-de-passe")
    response = client.post(item_url(world, "todo", "/etat"), data={**token, "state": "done"})
    assert response.status_code == 403
    assert item_row(app, world["todo"]).state == "todo"


def test_anonymous_callers_are_sent_to_sign_in(client, world):
    response = client.get(page_url(world))
    assert response.status_code == 302 and "/agents/connexion?next=/agents/equipes/" in response.headers["Location"]
    assert client.get("/agents/mon-equipe").status_code == 302


def test_an_unknown_squad_or_another_squads_item_is_not_found(client, login, world):
    login("admin")
    assert client.get("/agents/equipes/inconnue").status_code == 404
    with get_db(client.application).session_scope() as s:
        theirs = backlog.create_item(s, None, world["other"].id, title="Pièces demandées une fois").id
        s.commit()
    assert client.get(f"{page_url(world)}/elements/{theirs}").status_code == 404


def test_a_product_owner_adds_an_item_linked_to_irritants(app, client, login, world):
    login("product_owner", squads=[world["squad"]])
    data = {
        **form_of(client, page_url(world)),
        "title": "Créneaux du dimanche",
        "description": "Ouvrir aussi le dimanche matin.",
        "points": "8",
        "sprint": str(world["sprint"]),
        "irritants": f"n° {world['cluster']}",
    }
    response = client.post(f"{page_url(world)}/elements", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with get_db(app).session_scope() as s:
        item = s.scalar(select(BacklogItem).where(BacklogItem.title == "Créneaux du dimanche"))
        links = s.scalars(select(BacklogItemCluster.cluster_id).where(BacklogItemCluster.item_id == item.id)).all()
        assert (item.points, item.sprint_id, list(links)) == (8, world["sprint"], [world["cluster"]])
    assert response.headers["Location"].endswith(f"#element-{item.id}")


def test_a_member_adds_an_item_but_may_not_link_it_to_irritants(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    html = client.get(page_url(world)).get_data(as_text=True)
    assert 'name="irritants"' not in html  # the field is the product owners'
    data = {**form_of(client, page_url(world)), "title": "Bouton plus visible", "sprint": "backlog"}
    assert client.post(f"{page_url(world)}/elements", data=data).status_code == 303
    linked = {**data, "title": "Avec un lien", "irritants": str(world["cluster"])}
    assert client.post(f"{page_url(world)}/elements", data=linked).status_code == 403
    with get_db(app).session_scope() as s:
        titles = set(s.scalars(select(BacklogItem.title)))
        assert "Bouton plus visible" in titles and "Avec un lien" not in titles


def test_a_refused_new_item_shows_the_field_messages_and_keeps_the_input(client, login, world):
    login("product_owner", squads=[world["squad"]])
    data = {**form_of(client, page_url(world)), "title": "", "points": "-2", "irritants": "12, douze"}
    response = client.post(f"{page_url(world)}/elements", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "L’élément n’a pas été ajouté" in html
    assert "Ce champ est obligatoire." in html
    assert "Séparez les numéros d&#39;irritants par des virgules" in html
    missing = {**data, "title": "Un titre", "points": "1", "irritants": "999999"}
    html = client.post(f"{page_url(world)}/elements", data=missing).get_data(as_text=True)
    assert "Irritant introuvable : n° 999999." in html


def test_the_item_page_edits_links_unlinks_and_shows_the_history(app, client, login, world):
    po = login("product_owner", squads=[world["squad"]])
    url = item_url(world, "b1")
    other = {}
    with get_db(app).session_scope() as s:
        other["id"] = make_cluster(s, "Courriel de confirmation jamais reçu", reports=1).id
        s.commit()
    data = {**form_of(client, url, None), "title": "Confirmation par courriel et SMS", "description": "", "points": ""}
    data["expected_version"] = str(item_row(app, world["b1"]).version)
    assert client.post(url, data=data).status_code == 303
    row = item_row(app, world["b1"])
    assert (row.title, row.points) == ("Confirmation par courriel et SMS", None)

    link = {**form_of(client, url), "irritants": f"{other['id']}", "expected_version": str(row.version)}
    assert client.post(url + "/irritants", data=link).status_code == 303
    unlink = {**form_of(client, url), "expected_version": str(item_row(app, world["b1"]).version)}
    assert client.post(f"{url}/irritants/{other['id']}/retrait", data=unlink).status_code == 303

    html = client.get(url).get_data(as_text=True)
    assert "Lié à aucun irritant." in html
    for what in ("Création", "Titre", "Irritant lié", "Irritant retiré"):
        assert f'<th scope="row">{what}</th>' in html
    assert po.email in html


def test_a_member_may_not_link_from_the_item_page(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    url = item_url(world, "b1")
    html = client.get(url).get_data(as_text=True)
    assert "Lier à des irritants" not in html
    response = client.post(url + "/irritants", data={**form_of(client, url), "irritants": str(world["cluster"])})
    assert response.status_code == 403


def test_my_team_goes_to_the_one_squad_lists_several_and_explains_none(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    response = client.get("/agents/mon-equipe")
    assert response.status_code == 303 and response.headers["Location"].endswith(page_url(world))

    both = app.test_client()
    login("product_owner", squads=[world["squad"], world["other"]], on=both)
    html = both.get("/agents/mon-equipe").get_data(as_text=True)
    assert f'href="{page_url(world)}"' in html and 'href="/agents/equipes/aides-au-logement"' in html
    assert "1 irritant confié" in html

    none = app.test_client()
    login("manager", on=none)
    html = none.get("/agents/mon-equipe").get_data(as_text=True)
    assert "Vous ne faites partie d’aucune start-up d’État" in html
    assert 'href="/agents/irritants"' in html
    assert "Mon équipe</a>" in html  # in the agents' navigation


@pytest.mark.parametrize(
    ("roles", "in_squad", "lands"),
    [
        (("squad_member",), True, "/agents/mon-equipe"),
        (("product_owner",), True, "/agents/mon-equipe"),
        (("squad_member",), False, "/agents/"),
        (("product_owner", "manager"), True, "/agents/"),
        (("admin",), False, "/agents/"),
    ],
)
def test_after_sign_in_the_people_of_a_squad_land_on_my_team(app, world, roles, in_squad, lands):
    with get_db(app).session_scope() as s:
        squads = [s.merge(world["squad"])] if in_squad else []
        user = make_user(s, *roles, squads=squads, password=PASSWORD)
        s.commit()
        email = user.email
    client = app.test_client()
    page = client.get("/agents/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/agents/connexion", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == lands


def test_next_still_wins_over_my_team_after_sign_in(app, world):
    with get_db(app).session_scope() as s:
        user = make_user(s, "squad_member", squads=[s.merge(world["squad"])], password=PASSWORD)
        s.commit()
        email = user.email
    client = app.test_client()
    page = client.get("/agents/connexion?next=/agents/modeles").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "email": email, "password": PASSWORD, "next": "/agents/modeles"}
    response = client.post("/agents/connexion", data=data)
    assert response.headers["Location"] == "/agents/modeles"


def test_the_demo_squads_have_a_product_backlog_on_their_page(app, client, login):
    from irritants.auth.demo import create_demo_agents

    with get_db(app).session_scope() as s:
        create_demo_agents(s)
        s.commit()
    login("manager")
    html = client.get("/agents/equipes/rendez-vous-prefecture").get_data(as_text=True)
    assert backlog_titles(html)[0] == "Ouvrir les créneaux à heure fixe, annoncée à l&#39;avance"
    assert len(backlog_titles(html)) == 3
