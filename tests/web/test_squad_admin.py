"""Back-office forms of start-ups d'État: administrators list and create squads; a squad's « fiche » edits its profile
and phase (administrators and its own product owners) and its members (administrators), with the API's rules, the
same audit events, French messages next to their fields, and nothing written when refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.db import get_db
from irritants.squads.models import Squad, SquadMember, SquadPhaseChange
from tests.conftest import make_squad, make_user

SHEET = "/agents/equipes/rendez-vous-prefecture/fiche"


def text(response: Any) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


def post(client: FlaskClient, path: str, data: dict[str, Any], page: str = "/agents/") -> Any:
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, page
    return client.post(path, data={"csrf_token": token.group(1), **data})


def events(app: Flask, action: str) -> list[Event]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def counts(app: Flask) -> tuple[int, ...]:
    with get_db(app).session_scope() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(model)) for model in (Squad, SquadPhaseChange, SquadMember, Event)
        )


def squad_row(app: Flask, slug: str = "rendez-vous-prefecture") -> Squad:
    with get_db(app).session_scope() as s:
        return s.scalar(select(Squad).where(Squad.slug == slug))


@pytest.fixture
def squad(app) -> int:
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        squad.slug = "rendez-vous-prefecture"
        s.commit()
        return squad.id


def test_an_admin_creates_a_squad_from_the_form_with_its_audit_event(app, client, login):
    login("admin")
    page = client.get("/agents/startups/nouvelle")
    assert page.status_code == 200 and 'for="id_administration"' in text(page)
    response = post(
        client,
        "/agents/startups",
        {
            "name": "Permis de conduire",
            "mission": "Obtenir son permis sans attendre six mois.",
            "administration": "ants",
            "incubator": "Incubateur de l'Intérieur",
            "product_url": "https://permis.beta.gouv.fr",
            "phase": "construction",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/agents/equipes/permis-de-conduire/fiche")
    row = squad_row(app, "permis-de-conduire")
    assert (row.phase, row.product_url, row.incubator) == (
        "construction",
        "https://permis.beta.gouv.fr",
        "Incubateur de l'Intérieur",
    )
    (event,) = events(app, "squad.create")
    assert event.after["name"] == "Permis de conduire" and event.after["phase"] == "construction"
    listing = text(client.get("/agents/startups"))
    assert "Permis de conduire" in listing and "Construction" in listing and "Créer une start-up d’État" in listing


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Ce champ est obligatoire."),
        ("slug", "Pas Un Slug", "lettres minuscules sans accent"),
        ("product_url", "http://permis.example.fr", "https://"),
        ("administration", "inconnue", "Administration inconnue"),
        ("phase", "abandon", "ne peut pas commencer par une fin"),
        ("mission", "Appelez le 06 12 34 56 78 pour en savoir plus.", "retirez-en les données personnelles"),
        ("started_on", "2999-01-01", "ne peut pas être dans le futur"),
    ],
)
def test_each_bad_field_of_the_creation_form_gives_its_french_error_and_writes_nothing(
    app, client, login, field, value, message
):
    login("admin")
    before = counts(app)
    data = {"name": "Permis de conduire", "phase": "investigation", field: value}
    response = post(client, "/agents/startups", data)
    assert response.status_code == 422
    html = text(response)
    assert message in html
    assert f'id="id_{field}"' in html and f'href="#id_{field}"' in html  # the summary links to the field
    assert counts(app) == before


def test_the_squads_product_owner_edits_its_profile_and_the_version_guards_it(app, client, login, squad):
    login("product_owner", squads=[squad_row(app)])
    page = text(client.get(SHEET))
    version = re.search(r'name="expected_version" value="(\d+)"', page).group(1)
    data = {"name": "Rendez-vous préfecture", "mission": "Des rendez-vous pour tous.", "expected_version": version}
    response = post(client, SHEET, data, SHEET)
    assert response.status_code == 303
    assert squad_row(app).mission == "Des rendez-vous pour tous."
    (event,) = events(app, "squad.edit")
    assert event.after == {"mission": "Des rendez-vous pour tous."}

    before = counts(app)
    stale = post(client, SHEET, {**data, "mission": "Autre chose.", "expected_version": version}, SHEET)
    assert stale.status_code == 409 and "modifiée entre-temps" in text(stale)
    assert squad_row(app).mission == "Des rendez-vous pour tous." and counts(app) == before


def test_a_blank_optional_field_of_the_edit_form_empties_it(app, client, login, squad):
    login("admin")
    with get_db(app).session_scope() as s:
        s.get(Squad, squad).incubator = "Incubateur"
        s.commit()
    version = squad_row(app).version
    response = post(
        client, SHEET, {"name": "Rendez-vous préfecture", "incubator": "", "expected_version": version}, SHEET
    )
    assert response.status_code == 303 and squad_row(app).incubator is None


@pytest.mark.parametrize("roles", [("product_owner",), ("squad_member",), ("manager",)])
def test_other_agents_cannot_edit_a_squad(app, client, login, squad, roles):
    other = make_squad_named(app, "Aides au logement")
    login(*roles, squads=[other] if roles != ("manager",) else [])
    before = counts(app)
    assert client.get(SHEET).status_code == 403
    response = post(client, SHEET, {"name": "Pris", "expected_version": 1})
    assert response.status_code == 403
    assert post(client, SHEET.replace("fiche", "phase"), {"phase": "construction"}).status_code == 403
    assert counts(app) == before


def make_squad_named(app: Flask, name: str) -> Squad:
    with get_db(app).session_scope() as s:
        squad = make_squad(s, name)
        s.commit()
        return squad


def test_the_phase_form_offers_only_allowed_moves_and_an_abandon_needs_its_post_mortem(app, client, login, squad):
    login("admin")
    page = text(client.get(SHEET))
    form = page[page.index('id="id_phase"') : page.index("</select>", page.index('id="id_phase"'))]
    assert re.findall(r'<option value="(\w+)"', form) == ["construction", "abandon"]

    before, version = counts(app), squad_row(app).version
    refused = post(client, SHEET.replace("fiche", "phase"), {"phase": "abandon", "expected_version": version}, SHEET)
    assert refused.status_code == 422 and "demande un bilan (post-mortem)" in text(refused)
    assert counts(app) == before

    done = post(
        client,
        SHEET.replace("fiche", "phase"),
        {"phase": "abandon", "note": "Le besoin a disparu.", "expected_version": version},
    )
    assert done.status_code == 303 and squad_row(app).phase == "abandon"
    (event,) = events(app, "squad.phase")
    assert event.after["phase"] == "abandon" and event.reason == "Le besoin a disparu."
    assert "est une fin" in text(client.get(SHEET))


def test_an_admin_adds_and_removes_a_member_by_email_with_audit_events(app, client, login, squad):
    admin = login("admin")
    with get_db(app).session_scope() as s:
        member = make_user(s, "squad_member", email="camille@beta.gouv.fr")
        s.commit()
    added = post(client, SHEET.replace("fiche", "membres"), {"email": " Camille@beta.gouv.fr "})
    assert added.status_code == 303
    assert "camille@beta.gouv.fr" in text(client.get(SHEET))
    (event,) = events(app, "squad.member_add")
    assert (event.subject_id, event.after["user_id"], event.actor_id) == (squad, member.id, admin.id)

    before = counts(app)
    for email, message in (
        ("personne@beta.gouv.fr", "Aucun compte actif"),
        ("camille@beta.gouv.fr", "fait déjà partie"),
    ):
        refused = post(client, SHEET.replace("fiche", "membres"), {"email": email})
        assert refused.status_code == 422 and message in text(refused), email
    assert counts(app) == before

    removed = post(client, SHEET.replace("fiche", f"membres/{member.id}/retrait"), {})
    assert removed.status_code == 303 and "camille@beta.gouv.fr" not in text(client.get(SHEET))
    assert [e.before["user_id"] for e in events(app, "squad.member_remove")] == [member.id]


def test_a_product_owner_edits_the_profile_but_not_the_members(app, client, login, squad):
    login("product_owner", squads=[squad_row(app)])
    page = text(client.get(SHEET))
    assert "Ajouter un membre" not in page and "par les administrateurs" in page
    with get_db(app).session_scope() as s:
        make_user(s, "squad_member", email="camille@beta.gouv.fr")
        s.commit()
    before = counts(app)
    assert post(client, SHEET.replace("fiche", "membres"), {"email": "camille@beta.gouv.fr"}).status_code == 403
    assert counts(app) == before


def test_anonymous_callers_are_sent_to_sign_in(client, squad):
    for path in ("/agents/startups", "/agents/startups/nouvelle", SHEET):
        response = client.get(path)
        assert response.status_code == 302 and "/agents/connexion" in response.headers["Location"], path


def test_the_forms_are_refused_without_the_csrf_token(app, client, login, squad):
    login("admin")
    before = counts(app)
    assert client.post("/agents/startups", data={"name": "Sans jeton"}).status_code == 400
    assert client.post(SHEET, data={"name": "Sans jeton", "expected_version": "1"}).status_code == 400
    assert counts(app) == before


def test_admins_see_the_back_office_links_in_the_header_and_others_do_not(app, client, login):
    login("admin")
    html = text(client.get("/agents/"))
    assert 'href="/agents/comptes">Comptes</a>' in html and 'href="/agents/startups">Start-ups d’État</a>' in html
    other = app.test_client()
    login("product_owner", on=other)
    assert 'href="/agents/comptes"' not in text(other.get("/agents/"))
