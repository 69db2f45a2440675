"""``/api/v1/squads`` through the real HTTP stack: public reads for anyone, writes for admins and the squad's own
product owners, the one pagination envelope, problem+json errors in French, optimistic versions, audit events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.squads.models import Squad, SquadPhaseChange
from tests.conftest import make_user

API = "/api/v1/squads"


def token_for(app: Flask, *roles: str, squads: Any = ()) -> str:
    with get_db(app).session_scope() as s:
        user = make_user(s, *roles, squads=[s.get(Squad, q) for q in squads], email=f"{roles[0]}@beta.gouv.fr")
        user.name = "Camille Agent"
        _, raw = create_token(s, user, "tests")
        s.commit()
        return raw


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def messages(body: dict[str, Any]) -> dict[str, str]:
    return {e["pointer"]: e["detail"] for e in body.get("errors", [])}


@pytest.fixture
def admin(app) -> dict[str, str]:
    return bearer(token_for(app, "admin"))


@pytest.fixture
def squad(app, client, admin) -> dict[str, Any]:
    body = {
        "name": "Rendez-vous en préfecture",
        "mission": "Obtenir un rendez-vous en préfecture sans passer ses nuits devant l'écran.",
        "administration": "prefecture",
        "incubator": "Incubateur de l'Intérieur",
        "product_url": "https://rdv-prefecture.beta.gouv.fr",
        "started_on": "2026-01-05",
    }
    response = client.post(API, json=body, headers=admin)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"] == f"{API}/rendez-vous-en-prefecture"
    return response.get_json()


def history(app: Flask, slug: str) -> list[tuple[str, dt.date, str | None]]:
    with get_db(app).session_scope() as s:
        squad_id = s.scalar(select(Squad.id).where(Squad.slug == slug))
        rows = s.scalars(select(SquadPhaseChange).where(SquadPhaseChange.squad_id == squad_id).order_by("id"))
        return [(str(r.phase), r.started_on, r.note) for r in rows]


def events(app: Flask, action: str) -> list[Event]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def test_an_admin_creates_a_squad_with_its_profile_first_dated_phase_and_audit_event(app, squad):
    assert squad["slug"] == "rendez-vous-en-prefecture"
    assert squad["administration"] == {"slug": "prefecture", "name": "Préfecture"}
    assert squad["links"] == {"product": "https://rdv-prefecture.beta.gouv.fr", "repository": None, "stats": None}
    assert squad["phase"] == "investigation" and squad["phase_since"] == "2026-01-05"
    assert squad["phases"] == [
        {"phase": "investigation", "label": "Investigation", "started_on": "2026-01-05", "note": None,
         "recorded_by": "admin@beta.gouv.fr (jeton tests)"},
    ]  # fmt: skip
    assert [p["phase"] for p in squad["allowed_phases"]] == ["construction", "abandon"]
    assert history(app, squad["slug"]) == [("investigation", dt.date(2026, 1, 5), None)]
    (created,) = events(app, "squad.create")
    assert created.actor.startswith("admin@beta.gouv.fr") and created.after["administration_id"] is not None


def test_anonymous_callers_read_public_fields_only(client, app, squad):
    with get_db(app).session_scope() as s:
        make_user(s, "product_owner", squads=[s.scalar(select(Squad))], email="po.secret@beta.gouv.fr")
        s.commit()
    listing = client.get(API)
    assert listing.status_code == 200
    body = listing.get_json()
    assert set(body) == {"items", "total", "page", "page_size"} and body["total"] == 1
    (item,) = body["items"]
    assert "version" not in item and item["mission"].startswith("Obtenir")
    detail = client.get(f"{API}/{squad['slug']}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert "members" not in detail.get_json() and "version" not in detail.get_json()
    assert "@" not in text  # no email of a member, nor of who recorded a phase
    assert "recorded_by" not in detail.get_json()["phases"][0]


def test_agents_also_read_the_version_and_the_members(app, client, squad):
    with get_db(app).session_scope() as s:
        make_user(s, "product_owner", squads=[s.scalar(select(Squad))], email="po@beta.gouv.fr").name = "Dominique"
        s.commit()
    manager = bearer(token_for(app, "manager"))
    detail = client.get(f"{API}/{squad['slug']}", headers=manager)
    body = detail.get_json()
    assert body["version"] == 1 and detail.headers["ETag"] == '"1"'
    assert detail.headers["Cache-Control"] == "no-store"
    assert body["members"] == [
        {
            "name": "Dominique",
            "email": "po@beta.gouv.fr",
            "roles": ["product_owner"],
            "role_labels": ["Responsable produit"],
        }
    ]


def test_unknown_squad_is_a_404_problem(client):
    assert "start-up d'État" in is_problem(client.get(f"{API}/nulle-part"), 404)["detail"]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("product_url", "http://rdv.beta.gouv.fr", "https://"),
        ("stats_url", "rdv.beta.gouv.fr/stats", "https://"),
        ("administration", "ministere-inconnu", "Administration inconnue"),
        ("phase", "perennise", "fin"),
        ("phase", "lancement", "Phase inconnue"),
        ("slug", "Avec Espaces", "Identifiant"),
        ("started_on", "2999-01-01", "futur"),
    ],
)
def test_creation_refuses_bad_fields_in_french_and_writes_nothing(app, client, admin, field, value, expected):
    response = client.post(API, json={"name": "Permis de conduire", field: value}, headers=admin)
    body = is_problem(response, 422)
    assert expected in messages(body)[f"#/{field}"]
    with get_db(app).session_scope() as s:
        assert s.scalar(select(Squad)) is None
    assert events(app, "squad.create") == []


def test_a_second_squad_with_the_same_name_is_refused(client, admin, squad):
    again = client.post(API, json={"name": "rendez-vous en préfecture", "slug": "autre"}, headers=admin)
    assert "existe déjà" in messages(is_problem(again, 422))["#/name"]
    same_slug = client.post(API, json={"name": "Autre", "slug": squad["slug"]}, headers=admin)
    assert "existe déjà" in messages(is_problem(same_slug, 422))["#/slug"]


def test_the_squads_product_owner_edits_its_profile_with_the_version_seen(app, client, squad):
    with get_db(app).session_scope() as s:
        squad_id = s.scalar(select(Squad.id))
    po = bearer(token_for(app, "product_owner", squads=[squad_id]))
    patch = {"mission": "Un rendez-vous en moins de deux semaines.", "stats_url": "https://rdv.beta.gouv.fr/stats"}
    response = client.patch(f"{API}/{squad['slug']}", json={**patch, "expected_version": 1}, headers=po)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["version"] == 2 and body["mission"] == patch["mission"]
    assert body["links"]["stats"] == patch["stats_url"] and body["links"]["product"] == squad["links"]["product"]
    (edit,) = events(app, "squad.edit")
    assert edit.before == {"mission": squad["mission"], "stats_url": None}
    assert edit.after == {"mission": patch["mission"], "stats_url": patch["stats_url"]}
    # Null empties an optional field; the slug is not editable (addresses rely on it).
    cleared = client.patch(f"{API}/{squad['slug']}", json={"incubator": None}, headers=po).get_json()
    assert cleared["incubator"] is None and cleared["version"] == 3
    assert "#/slug" in messages(is_problem(client.patch(f"{API}/{squad['slug']}", json={"slug": "x"}, headers=po), 422))


def test_an_edit_on_an_older_version_is_a_409_and_changes_nothing(app, client, admin, squad):
    client.patch(f"{API}/{squad['slug']}", json={"incubator": "Fabrique numérique"}, headers=admin)
    stale = client.patch(f"{API}/{squad['slug']}", json={"mission": "Écrasée ?", "expected_version": 1}, headers=admin)
    assert "modifiée entre-temps" in is_problem(stale, 409)["detail"]
    now = client.get(f"{API}/{squad['slug']}").get_json()
    assert now["mission"] == squad["mission"] and now["incubator"] == "Fabrique numérique"
    assert len(events(app, "squad.edit")) == 1


def test_phases_move_along_the_table_dated_and_audited(app, client, admin, squad):
    url = f"{API}/{squad['slug']}/phase"
    moved = client.post(
        url, json={"phase": "construction", "note": "Premiers usagers.", "started_on": "2026-03-02"}, headers=admin
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json()["phase"] == "construction" and moved.get_json()["phase_since"] == "2026-03-02"
    skipped = client.post(url, json={"phase": "perennise"}, headers=admin)
    assert "les phases possibles sont : « Accélération », « Abandon »" in messages(is_problem(skipped, 422))["#/phase"]
    before = client.post(url, json={"phase": "acceleration", "started_on": "2026-02-01"}, headers=admin)
    assert "02/03/2026" in messages(is_problem(before, 422))["#/started_on"]
    assert history(app, squad["slug"]) == [
        ("investigation", dt.date(2026, 1, 5), None),
        ("construction", dt.date(2026, 3, 2), "Premiers usagers."),
    ]
    (phase_event,) = events(app, "squad.phase")
    assert phase_event.before == {"phase": "investigation"}
    assert phase_event.after == {"phase": "construction", "started_on": "2026-03-02"}
    assert phase_event.reason == "Premiers usagers."


def test_an_abandon_needs_a_post_mortem_and_is_an_end(app, client, admin, squad):
    url = f"{API}/{squad['slug']}/phase"
    silent = client.post(url, json={"phase": "abandon", "note": "   "}, headers=admin)
    assert "post-mortem" in messages(is_problem(silent, 422))["#/note"]
    assert client.get(f"{API}/{squad['slug']}").get_json()["phase"] == "investigation"
    post_mortem = "Le besoin est couvert par le nouveau portail de l'ANTS."
    ended = client.post(url, json={"phase": "abandon", "note": post_mortem}, headers=admin).get_json()
    assert ended["phase"] == "abandon" and ended["allowed_phases"] == []
    assert ended["phases"][-1]["note"] == post_mortem
    after = client.post(url, json={"phase": "construction"}, headers=admin)
    assert "est une fin" in messages(is_problem(after, 422))["#/phase"]


def test_phase_change_with_an_older_version_is_a_409(client, admin, squad):
    url = f"{API}/{squad['slug']}/phase"
    client.patch(f"{API}/{squad['slug']}", json={"incubator": "Autre"}, headers=admin)
    stale = client.post(url, json={"phase": "construction", "expected_version": 1}, headers=admin)
    is_problem(stale, 409)
    assert client.get(f"{API}/{squad['slug']}").get_json()["phase"] == "investigation"


def test_the_openapi_document_describes_the_squads_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/squads"])
    assert {"get", "patch"} <= set(paths["/api/v1/squads/{slug}"])
    phase = paths["/api/v1/squads/{slug}/phase"]["post"]
    for status in ("401", "403", "404", "409", "422"):
        assert "application/problem+json" in phase["responses"][status]["content"], status
    listing = paths["/api/v1/squads"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listing["$ref"].endswith("SquadPage")


def test_an_edit_racing_another_one_is_a_409_and_writes_nothing(app, client, admin, squad, monkeypatch):
    # Another agent's edit is committed between this request's read of the squad and its write.
    from sqlalchemy import text

    if get_db(app).engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers: a write request holds the lock from its first read, no race")

    from irritants.squads import services

    check = services.check_version

    def someone_else_edits_meanwhile(found, expected):
        check(found, expected)
        with get_db(app).engine.begin() as conn:
            conn.execute(text("UPDATE squads SET incubator = 'Autre', version = version + 1"))

    monkeypatch.setattr(services, "check_version", someone_else_edits_meanwhile)
    raced = client.patch(f"{API}/{squad['slug']}", json={"mission": "Écrasée ?"}, headers=admin)
    assert "modifiée entre-temps" in is_problem(raced, 409)["detail"]
    monkeypatch.undo()
    now = client.get(f"{API}/{squad['slug']}", headers=admin).get_json()
    assert (now["mission"], now["incubator"], now["version"]) == (squad["mission"], "Autre", 2)
    assert events(app, "squad.edit") == []


def test_public_texts_refuse_personal_data(app, client, admin, squad):
    url = f"{API}/{squad['slug']}"
    phone = client.patch(url, json={"mission": "Appelez Dominique au 06 12 34 56 78."}, headers=admin)
    assert "données personnelles" in messages(is_problem(phone, 422))["#/mission"]
    email = client.post(f"{url}/phase", json={"phase": "abandon", "note": "Écrire à camille@exemple.fr"}, headers=admin)
    assert "données personnelles" in messages(is_problem(email, 422))["#/note"]
    created = client.post(API, json={"name": "Équipe", "mission": "Contact : 0612345678"}, headers=admin)
    is_problem(created, 422)
    assert client.get(url).get_json()["mission"] == squad["mission"]
    assert events(app, "squad.edit") == [] and events(app, "squad.phase") == []
