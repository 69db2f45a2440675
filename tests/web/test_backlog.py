"""The product owners' back-office through the real HTTP stack: the backlog (filters, sort and pagination in the
URL), an irritant's page (redaction, score, territories, similar irritants, history) and the decision forms."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.clusters import engine, stats
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.intake.models import Moderation, Report
from irritants.ranking import Weights
from irritants.status import StatusKind
from irritants.triage.models import ReplyTemplate
from tests.conftest import make_cluster, make_report, make_squad

BACKLOG = "/agents/irritants"


@pytest.fixture
def db(app):
    """A session for building data, outside any app context: requests then push (and tear down) their own, so
    their database session is closed after each request as in production."""
    with get_db(app).session_scope() as session:
        yield session


def page_of(cluster_id: int) -> str:
    return f"{BACKLOG}/{cluster_id}"


def form_tokens(client, url: str) -> dict[str, str]:
    """The CSRF token of a page, and the version of the irritant it shows (what its forms post)."""
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, "CSRF token missing"
    version = re.search(r'name="expected_version" value="(\d+)"', html)
    return {"csrf_token": token.group(1), **({"expected_version": version.group(1)} if version else {})}


def post(client, url: str, data: dict[str, Any], page: str) -> Any:
    return client.post(url, data={**form_tokens(client, page), **data})


def scored(db, *clusters) -> None:
    """Counts and score breakdowns as the ranking job computes them."""
    stats.refresh(db, Weights(), [c.id for c in clusters])
    db.commit()


def state(app, cluster_id: int) -> dict[str, Any]:
    with app.app_context(), get_db(app).session_scope() as s:
        c = s.get(Cluster, cluster_id)
        return {
            "status": c.status,
            "label": c.label,
            "keywords": list(c.keywords),
            "squad_id": c.squad_id,
            "pinned": c.pinned,
            "version": c.version,
            "duplicate_of_id": c.duplicate_of_id,
            "routed_to": c.routed_to,
            "size": c.size,
        }


def events(app, cluster_id: int | None = None) -> list[tuple[str, str | None]]:
    with app.app_context(), get_db(app).session_scope() as s:
        stmt = select(Event.action, Event.reason).order_by(Event.id)
        if cluster_id is not None:
            stmt = stmt.where(Event.cluster_id == cluster_id)
        return [tuple(row) for row in s.execute(stmt)]


def rows(html: str) -> list[str]:
    """Labels of the backlog's rows, in order."""
    return re.findall(r'<th scope="row">\s*<a href="/agents/irritants/\d+">([^<]+)</a>', html)


# --- backlog -------------------------------------------------------------------------------------------------


def test_backlog_ranks_irritants_by_score_with_breakdown_size_trend_breadth_status_and_squad(app, client, db, login):
    squad = make_squad(db, "Rendez-vous en ligne")
    small = make_cluster(db, "Attente interminable au guichet", reports=1)
    big = make_cluster(db, "Prime d'activité bloquée", reports=4, squad_id=squad.id)
    scored(db, small, big)
    login("product_owner")

    response = client.get(BACKLOG)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert rows(html) == ["Prime d&#39;activité bloquée", "Attente interminable au guichet"]
    assert "<caption" in html and 'scope="col">Score<' in html
    assert "<details>" in html and "Personnes concernées : +" in html  # each term's contribution
    assert "4 signalements" in html and "4 départements" in html
    assert "4 sur 30 jours contre 0 avant" in html  # growth term: last 30 days against the 30 before
    assert "Nouveau" in html  # agent wording of the status
    assert "Rendez-vous en ligne" in html and "Aucune" in html
    assert "2 irritants" in html
    assert 'name="ids"' in html and "Appliquer aux irritants sélectionnés" in html


def test_filters_sort_and_page_are_kept_in_the_url(app, client, db, login):
    for i in range(12):
        make_cluster(db, f"Irritant numéro {i:02d} sur la CAF", reports=1 + i % 3)
    ants = make_cluster(db, "Carte grise en erreur", reports=0)
    make_report(db, cluster=ants, administration="ants", territory="33", severity="blocage")
    db.commit()
    scored(db, *db.scalars(select(Cluster)).all())
    login("product_owner")

    first = client.get(BACKLOG, query_string={"page_size": 10, "sort": "-size"}).get_data(as_text=True)
    assert len(rows(first)) == 10
    assert "13 irritants" in first and "page 1 sur 2" in first
    next_link = re.search(r'href="([^"]+)"[^>]*>Page suivante', first).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(next_link).query) == {"sort": ["-size"], "page_size": ["10"], "page": ["2"]}
    second = client.get(next_link).get_data(as_text=True)
    assert len(rows(second)) == 3 and 'aria-current="page" title="Page 2"' in second
    sizes = [int(n) for n in re.findall(r"<td>(\d+) signalements?<br>", first)]
    assert sizes == sorted(sizes, reverse=True)

    for query in (
        {"administration": "ants"},
        {"territory": "33"},
        {"severity": "blocage"},
        {"q": "carte grise"},
        {"q": "GRISE"},
        {"q": str(ants.id)},
        {"period": "7j", "administration": "ants", "sort": "trend"},
    ):
        html = client.get(BACKLOG, query_string=query).get_data(as_text=True)
        assert rows(html) == ["Carte grise en erreur"], query
        assert "1 irritant correspond à vos filtres" in html
    # The filter form shows the filters in force; a former sort value (a bookmark) is read as its new spelling.
    html = client.get(BACKLOG, query_string={"administration": "ants", "sort": "recent"}).get_data(as_text=True)
    assert '<option value="ants" selected>' in html and '<option value="-last_report_at" selected>' in html


def test_squad_filter_and_status_filter(app, client, db, login):
    squad = make_squad(db, "France Travail simplifié")
    squad.slug = "france-travail-simplifie"  # as squads.services.slugify makes them: ASCII
    taken = make_cluster(db, "Inscription impossible", reports=1, squad_id=squad.id)
    make_cluster(db, "Courrier jamais reçu", reports=1)
    make_cluster(db, "Publicité", reports=1, status=StatusKind.SPAM)
    db.commit()
    login("product_owner")

    assert rows(client.get(BACKLOG, query_string={"squad": squad.id}).get_data(as_text=True)) == [taken.label]
    assert rows(client.get(BACKLOG, query_string={"squad": squad.slug}).get_data(as_text=True)) == [taken.label]
    assert rows(client.get(BACKLOG, query_string={"squad": "personne-ici"}).get_data(as_text=True)) == []
    assert rows(client.get(BACKLOG, query_string={"squad": "none"}).get_data(as_text=True)) == ["Courrier jamais reçu"]
    assert "Publicité" not in client.get(BACKLOG).get_data(as_text=True)  # spam leaves the backlog…
    assert rows(client.get(BACKLOG, query_string={"status": "spam"}).get_data(as_text=True)) == ["Publicité"]


def test_invalid_filters_are_reported_in_french_and_ignored(app, client, db, login):
    make_cluster(db, "Dossier perdu", reports=1)
    db.commit()
    login("product_owner")
    response = client.get(
        BACKLOG, query_string={"status": "bogus", "territory": "999", "page": "x", "administration": "nulle-part"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Certains filtres ont été ignorés" in html
    assert "Statut inconnu." in html and "Code de département invalide" in html
    assert "Numéro de page invalide." in html and "Administration inconnue." in html
    assert rows(html) == ["Dossier perdu"]


def test_backlog_needs_a_role(app, client, db, login):
    login()  # an account without any role
    assert client.get(BACKLOG).status_code == 403
    assert client.get(page_of(1)).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(app, client):
    response = client.get(BACKLOG + "?sort=size")
    assert response.status_code == 302
    assert "/agents/connexion" in response.headers["Location"]
    assert client.post(page_of(1) + "/statut", data={"to": "triaged"}).status_code in (302, 400)


# --- irritant page -------------------------------------------------------------------------------------------


def test_report_texts_are_redacted_unless_the_agent_may_moderate(app, client, db, login, make_app):
    cluster = make_cluster(db, "Allocation suspendue", reports=1)
    make_report(  # published by a moderator: its text is still shown redacted to other agents
        db,
        cluster=cluster,
        description="Écrivez-moi à jeanne.martin@example.org ou au 06 12 34 56 78, ma CAF ne répond pas.",
        moderation=Moderation.PUBLISHED,
    )
    pending = "Mon NIR est caché mais ce texte attend la modération."
    make_report(db, cluster=cluster, description=pending, moderation=Moderation.PENDING)
    db.commit()

    login("squad_member")
    html = client.get(page_of(cluster.id)).get_data(as_text=True)
    assert "[courriel" in html and "[téléphone" in html and "06 12 34 56 78" not in html
    assert "jeanne.martin@example.org" not in html
    assert "attend la modération" not in html and "Texte masqué tant que la modération" in html

    moderator = make_app().test_client()
    login("product_owner", on=moderator)
    html = moderator.get(page_of(cluster.id)).get_data(as_text=True)
    assert "jeanne.martin@example.org" in html and "attend la modération" in html


def test_irritant_page_shows_score_table_territories_similar_irritants_and_pagination(app, client, db, login):
    cluster = make_cluster(db, "Rendez-vous préfecture introuvables", reports=3)
    for _ in range(20):
        make_report(db, cluster=cluster, territory="59")
    near = make_cluster(db, "Pas de créneau en préfecture", reports=1)
    far = make_cluster(db, "Remboursement de trop-perçu", reports=1)
    for c, vector in ((cluster, [1.0, 0.0]), (near, [0.9, 0.1]), (far, [0.0, 1.0])):
        c.encoder, c.centroid = "test-2d", engine.to_bytes(np.array(vector) / np.linalg.norm(vector))
    scored(db, cluster, near, far)
    login("manager")

    html = client.get(page_of(cluster.id)).get_data(as_text=True)
    assert "Contribution de chaque critère au score" in html and "Dynamique" in html
    assert '<th scope="row">59 – Nord</th><td>Hauts-de-France</td><td>20</td><td>87,0 %</td>' in html
    similar = html.split('id="liste-similaires"')[1].split("</ul>")[0]
    assert similar.index(f"n° {near.id}") < similar.index(f"n° {far.id}")
    assert "Tous les signalements : 23 (page 1 sur 2)" in html
    assert "Pages des signalements" in html
    second = client.get(page_of(cluster.id), query_string={"page": 2}).get_data(as_text=True)
    assert html.count('<li class="fr-mb-3w">') == 20 and second.count('<li class="fr-mb-3w">') == 3
    # A manager reads but decides nothing: no decision form is offered.
    assert "Votre rôle vous permet de consulter cet irritant" in html
    assert 'action="/agents/irritants/' not in html and 'name="expected_version"' not in html


def test_unknown_irritant_is_a_404(app, client, login):
    login("product_owner")
    assert client.get(page_of(987654)).status_code == 404


# --- decisions -----------------------------------------------------------------------------------------------


def test_status_change_redirects_with_a_notice_and_appears_in_the_history(app, client, db, login):
    cluster = make_cluster(db, "Carte vitale jamais reçue", reports=2)
    db.commit()
    user = login("product_owner")
    page = page_of(cluster.id)
    html = client.get(page).get_data(as_text=True)
    assert 'value="triaged"' in html and 'value="fixed"' not in html  # only allowed transitions

    response = post(client, page + "/statut", {"to": "triaged", "motif": "Vu en revue hebdo."}, page)
    assert response.status_code == 303 and response.headers["Location"].endswith(page)
    assert state(app, cluster.id)["status"] == StatusKind.TRIAGED
    assert events(app, cluster.id) == [("cluster.status", "Vu en revue hebdo.")]
    html = client.get(page).get_data(as_text=True)
    assert "Statut changé : « Qualifié »." in html
    history = html.split('id="liste-historique"')[1]
    assert "Changement de statut" in history and "« Nouveau » → « Qualifié »" in history
    assert user.email in history and "Motif : Vu en revue hebdo." in history


def test_illegal_transition_is_shown_on_the_page_with_the_input_kept(app, client, db, login):
    cluster = make_cluster(db, "Attestation introuvable", reports=1)
    db.commit()
    login("product_owner")
    page = page_of(cluster.id)
    response = post(client, page + "/statut", {"to": "in_progress", "motif": "Corrigé par la DINUM"}, page)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Passage de « Nouveau » à « En cours » impossible" in html
    assert 'id="statut-erreur"' in html and "autofocus" in html and "<title>Erreur : " in html
    assert ">Corrigé par la DINUM</textarea>" in html
    assert state(app, cluster.id)["status"] == StatusKind.NEW and events(app) == []


def test_a_change_made_meanwhile_is_a_409_and_nothing_is_written(app, client, db, login):
    cluster = make_cluster(db, "Démarche en ligne en panne", reports=1)
    db.commit()
    login("product_owner")
    page = page_of(cluster.id)
    stale = {
        "label": "Démarche ANTS en panne",
        "keywords": "ants, panne",
        "expected_version": state(app, cluster.id)["version"],
    }
    assert post(client, page + "/epinglage", {"pinned": "true"}, page).status_code == 303

    response = post(client, page + "/libelle", stale, page)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "modifié entre-temps" in html and 'value="Démarche ANTS en panne"' in html
    assert state(app, cluster.id)["label"] == "Démarche en ligne en panne"


def test_label_squad_pin_route_and_spam_forms(app, client, db, login):
    squad = make_squad(db, "Démarches simplifiées")
    cluster = make_cluster(db, "Paiement refusé", reports=1)
    other = make_cluster(db, "Pub pour un casino", reports=1)
    db.add(ReplyTemplate(title="Hors champ", body="Ce sujet relève d'un autre service."))
    db.commit()
    login("product_owner", squads=[squad])  # the irritant moves to their squad: they keep the right to decide
    page = page_of(cluster.id)

    label = {"label": "Paiement en ligne refusé", "keywords": "paiement, carte"}
    response = post(client, page + "/libelle", label, page)
    assert response.status_code == 303
    assert state(app, cluster.id)["keywords"] == ["paiement", "carte"]
    assert post(client, page + "/start-up", {"squad": squad.id}, page).status_code == 303
    assert state(app, cluster.id)["squad_id"] == squad.id
    notice = "Irritant confié à la start-up d&#39;État « Démarches simplifiées »."
    assert notice in client.get(page).get_data(as_text=True)
    assert post(client, page + "/epinglage", {"pinned": "true"}, page).status_code == 303
    assert state(app, cluster.id)["pinned"] is True

    # Without JavaScript, the chosen reply template is the reason.
    template_id = get_template_id(app)
    routed = {"routed_to": "Préfecture du Nord", "modele": template_id}
    response = post(client, page + "/hors-perimetre", routed, page)
    assert response.status_code == 303
    assert state(app, cluster.id)["routed_to"] == "Préfecture du Nord"
    assert events(app, cluster.id)[-1] == ("cluster.status", "Ce sujet relève d'un autre service.")

    other_page = page_of(other.id)
    assert post(client, other_page + "/indesirable", {}, other_page).status_code == 303
    assert state(app, other.id)["status"] == StatusKind.SPAM
    expected = ["cluster.label", "cluster.assign", "cluster.pin", "cluster.status"]
    assert [action for action, _ in events(app, cluster.id)] == expected


def get_template_id(app) -> int:
    with app.app_context(), get_db(app).session_scope() as s:
        return s.scalar(select(ReplyTemplate.id))


def test_field_errors_are_specific_and_in_french(app, client, db, login):
    cluster = make_cluster(db, "Courrier illisible", reports=1)
    db.commit()
    login("product_owner")
    page = page_of(cluster.id)
    html = post(client, page + "/libelle", {"label": "", "keywords": "a"}, page).get_data(as_text=True)
    assert "Indiquez le libellé de l&#39;irritant." in html and 'href="#libelle-label"' in html
    html = post(client, page + "/hors-perimetre", {"routed_to": ""}, page).get_data(as_text=True)
    assert "Indiquez le service ou l&#39;organisme" in html
    html = post(client, page + "/doublon", {"number": "douze"}, page).get_data(as_text=True)
    assert "Indiquez un numéro d&#39;irritant" in html
    html = post(client, page + "/doublon", {"number": str(cluster.id)}, page).get_data(as_text=True)
    assert "ne peut pas être le doublon de lui-même" in html
    html = post(client, page + "/fusion", {"others": "12 et 13"}, page).get_data(as_text=True)
    assert "Séparez les numéros d&#39;irritants par des virgules" in html
    response = post(client, page + "/signalements", {"action": "scinder"}, page)
    assert response.status_code == 422 and "Sélectionnez au moins un signalement." in response.get_data(as_text=True)
    assert events(app) == []


def test_duplicate_merge_unmerge_split_and_move(app, client, db, login):
    target = make_cluster(db, "Titre de séjour : aucun rendez-vous", reports=2)
    source = make_cluster(db, "Préfecture : plus de créneaux", reports=2)
    twin = make_cluster(db, "Rendez-vous titre de séjour", reports=1)
    elsewhere = make_cluster(db, "Naturalisation bloquée", reports=1)
    db.commit()
    login("product_owner")
    page = page_of(target.id)

    # Candidates come from a search by label, and can be ticked in the merge form.
    html = client.get(page, query_string={"cherche": "créneaux"}).get_data(as_text=True)
    assert f'id="fusion-sources-{source.id}"' in html and "1 irritant trouvé" in html
    response = post(client, page + "/fusion", {"sources": source.id, "motif": "Même blocage."}, page)
    assert response.status_code == 303
    assert state(app, source.id)["status"] == StatusKind.DUPLICATE and state(app, target.id)["size"] == 4
    html = client.get(page).get_data(as_text=True)
    assert "Fusion faite : n° " in html and f"Irritant n° {source.id} fusionné ici" in html
    assert f"Annuler la fusion du n° {source.id}" in html

    response = post(client, page_of(source.id) + "/defusion", {"depuis": target.id}, page)
    assert response.status_code == 303 and response.headers["Location"].endswith(page)
    assert state(app, source.id)["status"] == StatusKind.NEW and state(app, target.id)["size"] == 2

    twin_page = page_of(twin.id)
    response = post(client, twin_page + "/doublon", {"number": target.id}, twin_page)
    assert response.status_code == 303 and state(app, twin.id)["duplicate_of_id"] == target.id
    # A duplicate marked by hand is not a merge: nothing to undo, its status form takes it back.
    html = client.get(twin_page).get_data(as_text=True)
    assert "Annuler la fusion" not in html and 'value="triaged"' in html
    assert "Annuler la fusion" not in client.get(page).get_data(as_text=True)

    with app.app_context(), get_db(app).session_scope() as s:
        report_ids = list(s.scalars(select(Report.id).where(Report.cluster_id == target.id).order_by(Report.id)))
    split = {"action": "scinder", "reports": report_ids[0], "new_label": "Rendez-vous annulé"}
    response = post(client, page + "/signalements", split, page)
    assert response.status_code == 303
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert state(app, new_id)["label"] == "Rendez-vous annulé" and state(app, target.id)["size"] == 1

    move = {"action": "deplacer", "reports": report_ids[1], "to_cluster": elsewhere.id}
    response = post(client, page + "/signalements", move, page)
    assert response.status_code == 303
    assert state(app, elsewhere.id)["size"] == 2 and state(app, target.id)["size"] == 0
    assert ("report.move", None) in events(app, elsewhere.id)


def test_bulk_actions_apply_to_those_that_can_change_and_say_why_for_the_others(app, client, db, login):
    squad = make_squad(db, "Aides sociales")
    first = make_cluster(db, "RSA suspendu", reports=1)
    second = make_cluster(db, "APL en retard", reports=1)
    done = make_cluster(db, "Prime d'activité", reports=1, status=StatusKind.TRIAGED)
    db.commit()
    login("product_owner", squads=[squad])
    ids = [first.id, second.id]

    data = {"ids": ids, "operation": "assign", "squad": squad.id}
    response = post(client, BACKLOG + "/lot?sort=-size", data, BACKLOG)
    assert response.status_code == 303 and response.headers["Location"].endswith(BACKLOG + "?sort=-size")
    assert {state(app, i)["squad_id"] for i in ids} == {squad.id}
    assert "2 irritants modifiés." in client.get(BACKLOG).get_data(as_text=True)

    # Some can change, one cannot: the others change, the page says which one did not and why.
    data = {"ids": [first.id, done.id, second.id], "operation": "status", "to": "triaged"}
    response = post(client, BACKLOG + "/lot", data, BACKLOG)
    assert response.status_code == 303
    html = client.get(BACKLOG).get_data(as_text=True)
    assert "2 irritants modifiés." in html
    assert "1 irritant n&#39;a pas été modifié :" in html
    assert f"<li>n° {done.id} — L&#39;irritant est déjà « Qualifié » : rien n&#39;a changé.</li>" in html
    assert "Aucun irritant" not in html
    assert {state(app, i)["status"] for i in ids} == {StatusKind.TRIAGED}
    assert events(app, done.id) == [] and len(events(app)) == 4  # 2 assignments, then 2 status changes

    # None can change: refused, the page says why for each and keeps the selection.
    response = post(client, BACKLOG + "/lot", {"ids": ids, "operation": "status", "to": "fixed"}, BACKLOG)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Aucun irritant n&#39;a été modifié : 2 irritants ne peuvent pas recevoir cette décision." in html
    assert f'value="{first.id}" checked' in html
    assert {state(app, i)["status"] for i in ids} == {StatusKind.TRIAGED}

    response = post(client, BACKLOG + "/lot", {"operation": "pin"}, BACKLOG)
    assert response.status_code == 422 and "Sélectionnez au moins un irritant" in response.get_data(as_text=True)


def test_wrong_role_is_refused_with_403_and_nothing_changes(app, client, db, login, make_app):
    squad = make_squad(db, "Équipe A")
    cluster = make_cluster(db, "Retraite non versée", reports=1, squad_id=squad.id)
    db.commit()
    before = state(app, cluster.id)

    login("manager")
    page = page_of(cluster.id)
    for url, data in (
        (page + "/statut", {"to": "triaged"}),
        (page + "/libelle", {"label": "Nouveau libellé"}),
        (page + "/fusion", {"others": "1"}),
        (BACKLOG + "/lot", {"ids": cluster.id, "operation": "pin"}),
    ):
        assert post(client, url, data, page).status_code == 403, url

    member = make_app().test_client()
    login("squad_member", squads=[squad], on=member)
    assert post(member, page + "/start-up", {"squad": "none"}, page).status_code == 403
    html = member.get(page).get_data(as_text=True)
    assert 'id="start-up"' not in html and 'id="libelle"' not in html  # buttons they may not use are hidden
    assert state(app, cluster.id) == before and events(app) == []


def test_forms_need_the_csrf_token(app, client, db, login):
    cluster = make_cluster(db, "Formulaire en erreur", reports=1)
    db.commit()
    login("product_owner")
    response = client.post(page_of(cluster.id) + "/statut", data={"to": "triaged"})
    assert response.status_code == 400
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0
