"""« Modèles de réponse » in the back-office (/agents/modeles): list, create, edit and delete through the real HTTP
stack, CSRF on; the central policy decides who may change which template, and every change is in the audit log."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.db import get_db
from irritants.triage.models import ReplyTemplate
from tests.conftest import make_cluster, make_squad

PAGE = "/agents/modeles"
SHARED_LABEL = "Partagé (toutes les équipes)"


@pytest.fixture
def world(app) -> dict[str, Any]:
    """Squads A and B, and a template of each: one shared, one of squad A, one of squad B."""
    with app.app_context(), get_db(app).session_scope() as s:
        squad_a, squad_b = make_squad(s, "Rendez-vous préfecture"), make_squad(s, "Aides au logement")
        shared = ReplyTemplate(title="Accusé de réception", body="Nous avons bien reçu votre signalement.")
        ours = ReplyTemplate(title="Correctif en cours", body="L'équipe corrige ce blocage.", squad_id=squad_a.id)
        theirs = ReplyTemplate(title="Transmis à la CAF", body="Transmis au service concerné.", squad_id=squad_b.id)
        s.add_all([shared, ours, theirs])
        s.commit()
        return {
            "squad_a": squad_a,
            "squad_b": squad_b,
            "shared": shared.id,
            "ours": ours.id,
            "theirs": theirs.id,
        }


def text(response: Any) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def csrf(client, path: str = PAGE) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, "CSRF token missing"
    return match.group(1)


def post(client, path: str, data: dict[str, str] | None = None) -> Any:
    return client.post(path, data={"csrf_token": csrf(client), **(data or {})})


def templates(app) -> dict[int, tuple[str, str, int | None]]:
    with app.app_context(), get_db(app).session_scope() as s:
        return {t.id: (t.title, t.body, t.squad_id) for t in s.scalars(select(ReplyTemplate))}


def events(app) -> list[tuple[str, int | None, int | None, dict[str, Any], dict[str, Any]]]:
    with app.app_context(), get_db(app).session_scope() as s:
        stmt = select(Event).where(Event.subject_type == "template").order_by(Event.id)
        return [(e.action, e.subject_id, e.actor_id, e.before, e.after) for e in s.scalars(stmt)]


def titles(html: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', html)


# --- a product owner's whole path -------------------------------------------------------------------------------


def test_product_owner_lists_creates_edits_and_deletes_templates_with_audit_events(app, client, login, world):
    po = login("product_owner", squads=[world["squad_a"]])

    page = client.get(PAGE)
    html = text(page)
    assert page.status_code == 200
    assert "<title>Modèles de réponse — " in html
    assert 'href="/agents/">Espace agents</a>' in html and 'aria-current="page">Modèles de réponse<' in html
    # Shared templates first, then their squad's; another squad's template is not even named.
    assert titles(html) == ["Accusé de réception", "Correctif en cours"]
    assert "Transmis à la CAF" not in html
    assert html.count(">Modifier<span") == 2 and html.count(">Supprimer<span") == 2
    # A new template may be shared or for their own squad, not for another one.
    assert 'value="partage" checked' in html and SHARED_LABEL in html
    assert f'value="{world["squad_a"].id}"' in html and f'value="{world["squad_b"].id}"' not in html

    created = post(
        client, PAGE, {"title": "  Relance   envoyée ", "body": "Nous relançons l'administration.\nMerci.",
                       "squad": str(world["squad_a"].id)},
    )  # fmt: skip
    assert created.status_code == 303 and created.headers["Location"].endswith(PAGE)
    new_id = max(templates(app))
    body = "Nous relançons l'administration.\nMerci."
    assert templates(app)[new_id] == ("Relance envoyée", body, world["squad_a"].id)
    after = text(client.get(PAGE))
    assert "Modèle « Relance envoyée » créé" in after and "fr-alert--success" in after
    assert "Relance envoyée" in titles(after)

    editing = text(client.get(PAGE, query_string={"modifier": new_id}))
    assert "Modifier le modèle « Relance envoyée »" in editing
    assert 'value="Relance envoyée"' in editing and "Nous relançons l'administration." in editing
    assert "Enregistrer les modifications" in editing and "Créer le modèle" not in editing
    assert "Destinataires : Rendez-vous préfecture (ils ne peuvent pas être changés)" in editing

    updated = post(client, f"{PAGE}/{new_id}", {"title": "Relance (v2)", "body": "Nous avons relancé."})
    assert updated.status_code == 303
    assert templates(app)[new_id] == ("Relance (v2)", "Nous avons relancé.", world["squad_a"].id)
    assert "Modèle « Relance (v2) » enregistré." in text(client.get(PAGE))

    unchanged = post(client, f"{PAGE}/{new_id}", {"title": "Relance (v2)", "body": "Nous avons relancé."})
    assert unchanged.status_code == 303
    assert "Aucune modification" in text(client.get(PAGE))

    confirm = text(client.get(PAGE, query_string={"supprimer": new_id}))
    assert "Supprimer le modèle « Relance (v2) » ?" in confirm
    assert f'action="/agents/modeles/{new_id}/suppression"' in confirm
    assert "Supprimer définitivement le modèle « Relance (v2) »" in confirm and "Annuler et garder le modèle" in confirm
    assert new_id in templates(app), "the confirmation step deletes nothing"

    deleted = post(client, f"{PAGE}/{new_id}/suppression")
    assert deleted.status_code == 303
    assert new_id not in templates(app)
    assert "Modèle « Relance (v2) » supprimé." in text(client.get(PAGE))

    audit = events(app)
    assert [(action, subject, actor) for action, subject, actor, _, _ in audit] == [
        ("template.create", new_id, po.id),
        ("template.update", new_id, po.id),
        ("template.delete", new_id, po.id),
    ]
    assert audit[0][4] == {"title": "Relance envoyée", "body": body, "squad_id": world["squad_a"].id}
    assert audit[1][3]["title"] == "Relance envoyée" and audit[1][4]["title"] == "Relance (v2)"
    assert audit[2][3]["title"] == "Relance (v2)"


def test_a_product_owner_creates_a_shared_template(app, client, login, world):
    login("product_owner", squads=[world["squad_a"]])
    response = post(client, PAGE, {"title": "Hors périmètre", "body": "Transmis.", "squad": "partage"})
    assert response.status_code == 303
    assert ("Hors périmètre", "Transmis.", None) in templates(app).values()
    assert f"<td>{SHARED_LABEL}</td>" in text(client.get(PAGE))


# --- validation -----------------------------------------------------------------------------------------------


def test_invalid_input_is_shown_again_with_french_messages_and_the_input_kept(app, client, login, world):
    login("product_owner", squads=[world["squad_a"]])
    before = templates(app)

    response = post(client, PAGE, {"title": "   ", "body": "x" * 2001, "squad": "partage"})
    html = text(response)
    assert response.status_code == 422
    assert "<title>Erreur : Modèles de réponse" in html
    assert 'id="error-summary"' in html and "Le formulaire contient 2 erreurs" in html
    assert '<a href="#id_title">Titre : Donnez un titre au modèle.</a>' in html
    assert '<a href="#id_body">Texte du modèle : Le texte ne doit pas dépasser 2000 caractères.</a>' in html
    assert 'aria-invalid="true"' in html and "x" * 2001 in html  # what was typed is kept

    response = post(client, PAGE, {"title": "A" * 201, "body": "", "squad": ""})
    html = text(response)
    assert response.status_code == 422
    assert "Le titre ne doit pas dépasser 200 caractères." in html
    assert "Rédigez le texte du modèle." in html
    assert '<a href="#id_squad">Destinataires : Choisissez à qui le modèle est destiné.</a>' in html
    assert 'value="' + "A" * 201 + '"' in html

    response = post(client, PAGE, {"title": "Titre", "body": "Texte", "squad": "toutes"})
    assert response.status_code == 422
    assert "Choisissez les destinataires dans la liste." in text(response)

    response = post(client, f"{PAGE}/{world['ours']}", {"title": "Nouveau titre", "body": "  "})
    html = text(response)
    assert response.status_code == 422
    assert "Modifier le modèle « Correctif en cours »" in html and 'value="Nouveau titre"' in html
    assert "Texte du modèle : Rédigez le texte du modèle." in html

    assert templates(app) == before and events(app) == []


def test_an_unknown_squad_is_refused_on_its_field(app, client, login, world):
    login("admin")  # may write for any squad: the service itself says the squad does not exist
    response = post(client, PAGE, {"title": "Titre", "body": "Texte", "squad": "999999"})
    assert response.status_code == 422
    assert '<a href="#id_squad">Destinataires : Start-up d\'État inconnue.</a>' in text(response)


# --- who may do what ----------------------------------------------------------------------------------------


def test_a_squad_member_manages_only_their_squads_templates(app, client, login, world):
    login("squad_member", squads=[world["squad_a"]])
    html = text(client.get(PAGE))
    assert titles(html) == ["Accusé de réception", "Correctif en cours"]
    # Only their squad's template has buttons; a new one can only be for their squad.
    assert html.count(">Modifier<span") == 1 and f"?modifier={world['ours']}" in html
    assert f"?modifier={world['shared']}" not in html
    assert 'value="partage"' not in html and f'value="{world["squad_a"].id}" checked' in html
    before = templates(app)

    assert post(client, PAGE, {"title": "Partagé", "body": "Texte", "squad": "partage"}).status_code == 403
    assert post(client, PAGE, {"title": "Autre", "body": "Texte", "squad": str(world["squad_b"].id)}).status_code == 403
    theirs, shared = f"{PAGE}/{world['theirs']}", f"{PAGE}/{world['shared']}"
    assert post(client, theirs, {"title": "Piraté", "body": "Piraté"}).status_code == 404
    assert post(client, f"{theirs}/suppression").status_code == 404
    assert post(client, shared, {"title": "Piraté", "body": "Piraté"}).status_code == 403
    assert post(client, f"{shared}/suppression").status_code == 403
    assert client.get(PAGE, query_string={"modifier": world["theirs"]}).status_code == 404
    assert client.get(PAGE, query_string={"supprimer": world["shared"]}).status_code == 403
    assert templates(app) == before and events(app) == []

    ours = f"{PAGE}/{world['ours']}"
    assert post(client, ours, {"title": "Correctif livré", "body": "C'est corrigé."}).status_code == 303
    own_squad = str(world["squad_a"].id)
    assert post(client, PAGE, {"title": "Nouveau", "body": "Texte", "squad": own_squad}).status_code == 303
    assert post(client, f"{ours}/suppression").status_code == 303
    assert [e[0] for e in events(app)] == ["template.update", "template.create", "template.delete"]


def test_a_manager_sees_the_templates_but_may_not_change_them(app, client, login, world):
    login("manager")
    html = text(client.get(PAGE))
    assert titles(html) == ["Accusé de réception"]
    assert ">Modifier<span" not in html and "Créer le modèle" not in html
    assert "Seuls les responsables produit et les membres d’une start-up d’État" in html
    before = templates(app)

    shared = f"{PAGE}/{world['shared']}"
    assert post(client, PAGE, {"title": "Titre", "body": "Texte", "squad": "partage"}).status_code == 403
    assert post(client, PAGE, {"title": "", "body": ""}).status_code == 403  # refused before the form is read
    assert post(client, shared, {"title": "Piraté", "body": "Piraté"}).status_code == 403
    assert post(client, f"{shared}/suppression").status_code == 403
    assert post(client, f"{PAGE}/{world['ours']}/suppression").status_code == 404  # a squad's: not even known
    assert client.get(PAGE, query_string={"modifier": world["shared"]}).status_code == 403
    assert templates(app) == before and events(app) == []


def test_unknown_templates_and_anonymous_callers(app, client, login, world):
    anonymous = client.get(PAGE)
    assert anonymous.status_code == 302 and "/agents/connexion" in anonymous.headers["Location"]
    login("product_owner", squads=[world["squad_a"]])
    assert client.get(PAGE, query_string={"modifier": "abc"}).status_code == 404
    assert client.get(PAGE, query_string={"supprimer": 2**40}).status_code == 404
    assert post(client, f"{PAGE}/{2**40}", {"title": "T", "body": "B"}).status_code == 404


# --- CSRF and links -------------------------------------------------------------------------------------------


def test_every_write_needs_the_csrf_token(app, client, login, world):
    login("product_owner", squads=[world["squad_a"]])
    before = templates(app)
    for path, data in (
        (PAGE, {"title": "Titre", "body": "Texte", "squad": "partage"}),
        (f"{PAGE}/{world['ours']}", {"title": "Piraté", "body": "Piraté"}),
        (f"{PAGE}/{world['ours']}/suppression", {}),
    ):
        assert client.post(path, data=data).status_code == 400
        assert client.post(path, data={**data, "csrf_token": "faux"}).status_code == 400
    assert templates(app) == before and events(app) == []


def test_the_agents_home_and_the_backlog_link_to_the_templates(app, client, login, world):
    with app.app_context(), get_db(app).session_scope() as s:
        make_cluster(s, "Aucun rendez-vous disponible", reports=1)
        s.commit()
    login("product_owner", squads=[world["squad_a"]])
    assert f'href="{PAGE}">Modèles de réponse</a>' in text(client.get("/agents/"))
    backlog = text(client.get("/agents/irritants"))
    assert f'href="{PAGE}">Gérer les modèles de réponse</a>' in backlog
