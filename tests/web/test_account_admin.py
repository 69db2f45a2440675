"""Administrators manage agents' accounts in the back-office (`/agents/comptes`): the same rules and audit events as
``irritants users …``; secrets shown once and never stored in clear; an administrator cannot lock themself out."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.auth.models import ApiToken, User
from irritants.db import get_db
from irritants.squads.models import SquadMember
from tests.conftest import PASSWORD, make_squad, make_user, sign_in
from tests.web.test_auth_login import post_login, signed_in
from tests.web.test_squad_admin import events, post, text

EMAIL = "dominique.martin@beta.gouv.fr"


def account(app: Flask, email: str = EMAIL) -> User | None:
    with get_db(app).session_scope() as s:
        return s.scalar(select(User).where(User.email == email))


def counts(app: Flask) -> tuple[int, ...]:
    with get_db(app).session_scope() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (User, SquadMember, ApiToken, Event))


@pytest.fixture
def squad_slug(app) -> str:
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Aides au logement")
        s.commit()
        return squad.slug


def agent_with_password(app: Flask, *roles: str, email: str = EMAIL) -> User:
    with get_db(app).session_scope() as s:
        user = make_user(s, *roles, email=email, password=PASSWORD)
        s.commit()
        return user


def test_an_admin_creates_an_account_and_sees_its_generated_password_once(app, client, login, squad_slug):
    admin = login("admin")
    form = text(client.get("/agents/comptes/nouveau"))
    assert 'id="id_roles-fieldset"' in form and "<legend" in form and 'for="id_roles_3"' in form
    data = {"email": f" {EMAIL.upper()} ", "name": "Dominique Martin", "roles": ["product_owner", "squad_member"]}
    response = post(client, "/agents/comptes", {**data, "squads": [squad_slug], "password_mode": "generate"})
    assert response.status_code == 201
    shown = re.search(r'<code id="new-password">([^<]+)</code>', text(response)).group(1)
    user = account(app)
    assert user.roles == ["product_owner", "squad_member"] and user.password_hash and shown not in user.password_hash
    (event,) = events(app, "user.create")
    assert event.actor_id == admin.id and event.after["squads"] == [squad_slug]
    assert shown not in repr([(e.before, e.after) for e in events(app, "user.create")])
    assert shown not in text(client.get(f"/agents/comptes/{user.id}"))  # once only
    fresh = app.test_client()
    assert post_login(fresh, EMAIL, shown).status_code == 303  # the agent signs in with it


def test_an_account_for_proconnect_only_has_no_password(app, client, login):
    login("admin")
    response = post(client, "/agents/comptes", {"email": EMAIL, "roles": "manager", "password_mode": "none"})
    assert response.status_code == 201 and 'id="new-password"' not in text(response)
    assert account(app).password_hash is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "pas-une-adresse", "roles": "manager"}, "email", "Adresse électronique invalide"),
        ({"email": EMAIL}, "roles", "Cochez au moins un rôle."),
        ({"email": EMAIL, "roles": "chef"}, "roles", "Rôle inconnu"),
        ({"email": EMAIL, "roles": "manager", "squads": "inconnue"}, "squads", "Start-up d'État inconnue"),
        ({"email": EMAIL, "roles": "manager", "password_mode": "1234"}, "password_mode", "option de mot de passe"),
        ({"email": "admin-existant@beta.gouv.fr", "roles": "manager"}, "email", "Un compte existe déjà"),
    ],
)
def test_each_bad_field_of_the_creation_form_gives_its_french_error_and_writes_nothing(
    app, client, login, squad_slug, data, field, message
):
    agent_with_password(app, "manager", email="admin-existant@beta.gouv.fr")
    login("admin")
    before = counts(app)
    response = post(client, "/agents/comptes", data)
    assert response.status_code == 422
    html = text(response)
    assert message in html and f'href="#id_{field}"' in html and f'id="id_{field}"' in html
    assert counts(app) == before


def test_roles_and_squads_are_changed_with_their_audit_events(app, client, login, squad_slug):
    login("admin")
    user = agent_with_password(app, "manager")
    page = f"/agents/comptes/{user.id}"
    response = post(client, page, {"roles": ["product_owner"], "squads": [squad_slug]}, page)
    assert response.status_code == 303
    (roles,) = events(app, "user.roles")
    (squads,) = events(app, "user.squads")
    assert (roles.before, roles.after) == ({"roles": ["manager"]}, {"roles": ["product_owner"]})
    assert (squads.before, squads.after) == ({"squads": []}, {"squads": [squad_slug]})
    html = text(client.get(page))
    assert re.search(rf'value="{squad_slug}"\s+checked', html)

    before = counts(app)
    refused = post(client, page, {"squads": [squad_slug]}, page)
    assert refused.status_code == 422 and "Cochez au moins un rôle." in text(refused) and counts(app) == before


def test_an_admin_cannot_remove_their_own_admin_role_nor_deactivate_themself(app, client, login):
    admin = login("admin")
    page = f"/agents/comptes/{admin.id}"
    before = counts(app)
    refused = post(client, page, {"roles": ["manager"]}, page)
    assert refused.status_code == 422 and "Vous ne pouvez pas retirer votre propre rôle d'administration." in text(
        refused
    )
    closed = post(client, f"{page}/desactivation", {}, page)
    assert closed.status_code == 422 and "Vous ne pouvez pas désactiver votre propre compte." in text(closed)
    assert account(app, admin.email).roles == ["admin"] and account(app, admin.email).active
    assert counts(app) == before


def test_deactivation_ends_sessions_revokes_tokens_and_blocks_sign_in_until_reactivated(app, client, login):
    login("admin")
    user = agent_with_password(app, "product_owner")
    theirs = app.test_client()
    assert post_login(theirs, EMAIL, PASSWORD).status_code == 303 and signed_in(theirs)
    with get_db(app).session_scope() as s:
        _token, raw = create_token(s, s.get(User, user.id), "tableur")
        s.commit()
    page = f"/agents/comptes/{user.id}"
    assert post(client, f"{page}/desactivation", {}, page).status_code == 303
    assert not signed_in(theirs)
    assert theirs.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert post_login(app.test_client(), EMAIL, PASSWORD).status_code == 422
    (event,) = events(app, "user.deactivate")
    assert event.after == {"active": False, "tokens_revoked": 1}
    assert "Révoqué" in text(client.get(page))

    assert post(client, f"{page}/reactivation", {}, page).status_code == 303
    assert account(app).active and len(events(app, "user.reactivate")) == 1
    assert post_login(app.test_client(), EMAIL, PASSWORD).status_code == 303
    # Reactivation brings no old token back.
    assert theirs.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_a_password_reset_shows_the_new_one_once_and_ends_every_session_of_the_agent(app, client, login):
    login("admin")
    user = agent_with_password(app, "squad_member")
    theirs = app.test_client()
    assert post_login(theirs, EMAIL, PASSWORD).status_code == 303 and signed_in(theirs)
    page = f"/agents/comptes/{user.id}"
    response = post(client, f"{page}/mot-de-passe", {}, page)
    assert response.status_code == 200
    shown = re.search(r'<code id="new-password">([^<]+)</code>', text(response)).group(1)
    assert not signed_in(theirs)  # the old session cookie no longer works
    assert post_login(app.test_client(), EMAIL, PASSWORD).status_code == 422
    assert post_login(app.test_client(), EMAIL, shown).status_code == 303
    (event,) = events(app, "user.password_reset")
    assert event.subject_id == user.id and shown not in repr(event.after)


def test_the_account_page_lists_tokens_without_their_secret_and_revokes_one(app, client, login):
    login("admin")
    user = agent_with_password(app, "manager")
    with get_db(app).session_scope() as s:
        token, raw = create_token(s, s.get(User, user.id), "tableur", days=30)
        s.commit()
    page = f"/agents/comptes/{user.id}"
    html = text(client.get(page))
    assert "tableur" in html and token.prefix in html and raw not in html and "Actif" in html
    assert "argon2" not in html
    assert post(client, f"{page}/jetons/{token.id}/revocation", {}, page).status_code == 303
    assert [e.subject_id for e in events(app, "token.revoke")] == [token.id]
    with get_db(app).session_scope() as s:
        assert s.get(ApiToken, token.id).revoked_at is not None


def test_the_list_shows_each_agent_with_roles_squads_state_and_last_sign_in(app, client, login, squad_slug):
    login("admin")
    agent_with_password(app, "product_owner")
    html = text(client.get("/agents/comptes"))
    assert EMAIL in html and "Responsable produit" in html and "Jamais" in html and "Actif" in html


@pytest.mark.parametrize("roles", [("product_owner",), ("manager",), ("squad_member",), ()])
def test_only_admins_manage_accounts(app, client, login, roles):
    user = agent_with_password(app, "manager")
    login(*roles)
    before = counts(app)
    assert client.get("/agents/comptes").status_code == 403
    assert client.get(f"/agents/comptes/{user.id}").status_code == 403
    assert post(client, f"/agents/comptes/{user.id}/mot-de-passe", {}).status_code == 403
    assert counts(app) == before


def test_anonymous_callers_are_sent_to_sign_in_and_forms_need_the_csrf_token(app, client, login):
    user = agent_with_password(app, "manager")
    for path in ("/agents/comptes", "/agents/comptes/nouveau", f"/agents/comptes/{user.id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/agents/connexion" in response.headers["Location"]
    admin = app.test_client()
    with get_db(app).session_scope() as s:
        sign_in(admin, make_user(s, "admin"))
        s.commit()
    before = counts(app)
    assert admin.post("/agents/comptes", data={"email": "x@beta.gouv.fr", "roles": "manager"}).status_code == 400
    assert admin.post(f"/agents/comptes/{user.id}/desactivation").status_code == 400
    assert counts(app) == before
