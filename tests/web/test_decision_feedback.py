"""What the back-office tells an agent about a decision that did not go through: a form loaded before someone
else's change says so (and what the irritant is now), a refused page gives its own address to reload (never advice
to reload the address the form was posted to), and handing an irritant to a squad one is not in is confirmed first."""

from __future__ import annotations

import re

import pytest

from irritants.auth.services import agent_for
from irritants.db import get_db
from irritants.status import StatusKind
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_squad, make_user
from tests.web.test_backlog import BACKLOG, events, form_tokens, page_of, post, state

S = StatusKind


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def someone_else(app, act) -> None:
    """Another product owner's decision, committed between the agent's page load and their POST."""
    with app.app_context(), get_db(app).session_scope() as s:
        act(s, agent_for(s, make_user(s, "admin")))
        s.commit()


def test_a_stale_status_form_says_changed_meanwhile_not_an_impossible_transition(app, client, db, login):
    squad = make_squad(db, "Titres de séjour")
    cluster = make_cluster(db, "Titre de séjour introuvable", reports=1)
    db.commit()
    login("product_owner", squads=[squad])
    page = page_of(cluster.id)
    seen = form_tokens(client, page)  # the page as the agent loaded it
    someone_else(app, lambda s, a: triage.change_status(s, a, cluster.id, S.TRIAGED))
    someone_else(app, lambda s, a: triage.assign_squad(s, a, cluster.id, squad.id))

    response = client.post(page + "/statut", data={**seen, "to": "triaged", "motif": "Vu en revue"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "modifié entre-temps" in html
    assert "il est maintenant « Qualifié » et confié à la start-up d&#39;État « Titres de séjour »" in html
    assert "Passage de « Qualifié » à « Qualifié »" not in html and "impossible" not in html
    assert ">Vu en revue</textarea>" in html  # the agent's input is kept
    assert len(events(app, cluster.id)) == 2


def test_a_status_already_set_on_a_fresh_form_says_nothing_changed(app, client, db, login):
    cluster = make_cluster(db, "Attestation introuvable", reports=1, status=S.TRIAGED)
    db.commit()
    login("product_owner")
    page = page_of(cluster.id)
    response = post(client, page + "/statut", {"to": "triaged"}, page)
    assert response.status_code == 422
    assert "L&#39;irritant est déjà « Qualifié » : rien n&#39;a changé." in response.get_data(as_text=True)


# Each decision form of the irritant page, with a field its route refuses (or a stale version when it has none).
REFUSED = {
    "libelle": {"label": ""},
    "statut": {"to": "fixed"},
    "start-up": {"squad": "douze"},
    "epinglage": {"pinned": "true", "expected_version": "99"},
    "doublon": {"number": "douze"},
    "hors-perimetre": {"routed_to": ""},
    "indesirable": {"expected_version": "99"},
    "fusion": {"others": "12 et 13"},
    "signalements": {"action": "scinder"},
}


@pytest.mark.parametrize("form", [*REFUSED, "defusion", "lot"])
def test_every_refused_decision_links_to_the_page_address_and_never_says_reload(app, client, db, login, form):
    cluster = make_cluster(db, "Courrier illisible", reports=2)
    merged = make_cluster(db, "Courrier jamais reçu", reports=1)
    db.commit()
    someone_else(app, lambda s, a: triage.merge(s, a, cluster.id, [merged.id], ranking=RANKING))
    login("product_owner")
    page = page_of(cluster.id)
    if form == "lot":
        url, data, address = BACKLOG + "/lot?sort=-size", {"ids": cluster.id, "operation": "status"}, BACKLOG
        expected = BACKLOG + "?sort=-size"
    elif form == "defusion":
        url, data, address, expected = page_of(merged.id) + "/defusion", {"depuis": cluster.id}, page, page
        someone_else(app, lambda s, a: triage.unmerge(s, a, merged.id, ranking=RANKING))  # nothing left to undo
    else:
        url, data, address, expected = f"{page}/{form}", REFUSED[form], page, page
    response = post(client, url, data, address)
    html = response.get_data(as_text=True)
    assert response.status_code in (409, 422), html[:300]
    assert f'<a href="{expected}" data-adresse-page>Recharger la page</a>' in html
    assert "rechargez" not in html.lower()


def test_a_refused_decision_whose_form_is_gone_is_told_at_the_top_of_the_page(app, client, db, login):
    target = make_cluster(db, "Rendez-vous introuvables", reports=1)
    other, elsewhere = make_cluster(db, "Créneaux fermés", reports=1), make_cluster(db, "Plus de créneaux", reports=1)
    db.commit()
    login("product_owner")
    page = page_of(target.id)
    seen = form_tokens(client, page)
    # Meanwhile, the irritant itself was merged into another one: it no longer has a merge form.
    someone_else(app, lambda s, a: triage.merge(s, a, elsewhere.id, [target.id], ranking=RANKING))
    response = client.post(page + "/fusion", data={**seen, "sources": other.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="fusion"' not in html
    alert = html.split('id="page-erreur"')[1].split("</div>")[0]
    assert "modifié entre-temps" in alert and "il est maintenant « Doublon »" in alert


def test_handing_an_irritant_to_a_squad_one_is_not_in_asks_first_and_says_who_can_give_it_back(app, client, db, login):
    mine, theirs = make_squad(db, "Ma start-up"), make_squad(db, "Leur start-up")
    cluster = make_cluster(db, "Pension de réversion bloquée", reports=1)
    db.commit()
    login("product_owner", squads=[mine])
    page = page_of(cluster.id)

    response = post(client, page + "/start-up", {"squad": theirs.id, "motif": "Leur sujet"}, page)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    confirmation = html.split('id="start-up-confirmation"')[1].split("</div>")[0]
    assert (
        "Après ce transfert, seuls les responsables produit de « Leur start-up » et les administrateurs pourront "
        "agir sur cet irritant ou vous le rendre."
    ) in confirmation
    assert '<button class="fr-btn" type="submit" name="confirm" value="1">Confirmer le transfert</button>' in (
        confirmation
    )
    assert re.search(rf'<option value="{theirs.id}" selected>Leur start-up</option>', html)
    assert ">Leur sujet</textarea>" in html
    assert state(app, cluster.id)["squad_id"] is None and events(app) == []

    response = post(client, page + "/start-up", {"squad": theirs.id, "motif": "Leur sujet", "confirm": "1"}, page)
    assert response.status_code == 303
    assert state(app, cluster.id)["squad_id"] == theirs.id
    assert events(app, cluster.id) == [("cluster.assign", "Leur sujet")]
    html = client.get(page).get_data(as_text=True)
    assert "Seuls ses responsables produit et les administrateurs peuvent désormais agir dessus." in html
    assert (
        "Cet irritant est confié à la start-up d’État « Leur start-up » : seuls ses responsables produit et les "
        "administrateurs peuvent agir dessus ou vous le rendre."
    ) in html
    assert 'id="start-up"' not in html


def test_bulk_handing_to_a_squad_one_is_not_in_asks_first_too(app, client, db, login):
    mine, theirs = make_squad(db, "Ma start-up"), make_squad(db, "Leur start-up")
    clusters = [make_cluster(db, f"Irritant {i}", reports=1) for i in range(2)]
    db.commit()
    login("product_owner", squads=[mine])
    data = {"ids": [c.id for c in clusters], "operation": "assign", "squad": theirs.id}
    response = post(client, BACKLOG + "/lot", data, BACKLOG)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="lot-confirmation"' in html
    assert "agir sur ces irritants ou vous les rendre" in html
    assert all(f'value="{c.id}" checked' in html for c in clusters)
    assert events(app) == []
    response = post(client, BACKLOG + "/lot", {**data, "confirm": "1"}, BACKLOG)
    assert response.status_code == 303
    assert {state(app, c.id)["squad_id"] for c in clusters} == {theirs.id}


def test_a_decision_the_policy_refuses_is_told_on_the_irritant_page(app, client, db, login):
    mine, theirs = make_squad(db, "Ma start-up"), make_squad(db, "Leur start-up")
    cluster = make_cluster(db, "Allocation suspendue", reports=1, squad_id=mine.id)
    db.commit()
    login("product_owner", squads=[mine])
    page = page_of(cluster.id)
    seen = form_tokens(client, page)
    someone_else(app, lambda s, a: triage.assign_squad(s, a, cluster.id, theirs.id))  # out of their hands

    response = client.post(page + "/epinglage", data={**seen, "pinned": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    alert = html.split('id="page-erreur"')[1].split("</div>")[0]
    assert "Cet irritant est suivi par une autre start-up d&#39;État." in alert
    assert f'<a href="{page}" data-adresse-page>Recharger la page</a>' in alert
    assert "seuls ses responsables produit et les administrateurs peuvent agir dessus ou vous le rendre" in html
    assert state(app, cluster.id)["pinned"] is False


def test_a_bulk_action_the_role_does_not_allow_is_told_on_the_backlog(app, client, db, login):
    cluster = make_cluster(db, "Allocation suspendue", reports=1)
    db.commit()
    login("manager")
    response = post(client, BACKLOG + "/lot", {"ids": cluster.id, "operation": "pin"}, BACKLOG)
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Seuls les responsables produit peuvent prendre cette décision." in html
    assert f'<a href="{BACKLOG}" data-adresse-page>Recharger la page</a>' in html
    assert state(app, cluster.id)["pinned"] is False
