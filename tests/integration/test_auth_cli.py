"""``irritants users``, ``irritants tokens`` and ``irritants squads``: accounts from the command line."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth import services
from irritants.auth.models import ApiToken, User
from irritants.db import get_db
from irritants.squads.models import Squad, SquadMember

EMAIL = "camille.martin@beta.gouv.fr"
GOOD = "une phrase de passe assez longue"


def run(runner: Any, *args: str, input: str | None = None) -> Any:
    return runner.invoke(args=list(args), input=input)


def user(app: Flask, email: str = EMAIL) -> User | None:
    with get_db(app).session_scope() as s:
        return s.scalar(select(User).where(User.email == email))


def actions(app: Flask) -> list[str]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(Event.action).order_by(Event.id)))


def test_squads_are_created_with_a_slug_and_a_phase(app, runner):
    result = run(runner, "squads", "create", "--name", "Rendez-vous préfecture", "--phase", "construction")
    assert result.exit_code == 0, result.output
    assert "identifiant rendez-vous-prefecture" in result.output and "Construction" in result.output
    with get_db(app).session_scope() as s:
        squad = s.scalar(select(Squad))
        assert (squad.slug, squad.phase.value) == ("rendez-vous-prefecture", "construction")
    again = run(runner, "squads", "create", "--name", "Rendez-vous préfecture")
    assert again.exit_code == 1 and "existe déjà" in again.output
    assert actions(app) == ["squad.create"]


def test_create_an_agent_with_a_password_typed_twice(app, runner):
    run(runner, "squads", "create", "--name", "Rendez-vous préfecture")
    result = run(
        runner,
        "users",
        "create",
        "--email",
        "Camille.Martin@beta.gouv.fr",
        "--role",
        "product_owner",
        "--role",
        "squad_member",
        "--squad",
        "rendez-vous-prefecture",
        "--name",
        "Camille Martin",
        input=f"{GOOD}\n{GOOD}\n",
    )

    assert result.exit_code == 0, result.output
    assert GOOD not in result.output  # hidden input is never echoed
    assert "Compte créé pour camille.martin@beta.gouv.fr" in result.output
    assert "Responsable produit" in result.output
    created = user(app)
    assert created.roles == ["product_owner", "squad_member"] and created.name == "Camille Martin"
    assert created.password_hash.startswith("$argon2id$") and GOOD not in created.password_hash
    with get_db(app).session_scope() as s:
        assert services.authenticate(s, EMAIL, GOOD) is not None
        assert s.scalar(select(SquadMember.user_id)) == created.id
    assert actions(app) == ["squad.create", "user.create"]


def test_weak_passwords_are_refused_with_a_clear_message(app, runner):
    result = run(
        runner,
        "users",
        "create",
        "--email",
        EMAIL,
        "--role",
        "manager",
        input=f"court\n{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Le mot de passe doit contenir au moins 12 caractères." in result.output
    assert user(app) is not None


def test_mismatched_confirmation_asks_again(app, runner):
    result = run(runner, "users", "create", "--email", EMAIL, "--role", "manager", input=f"{GOOD}\nautre chose\n")
    assert result.exit_code != 0
    assert user(app) is None


def test_a_generated_password_is_printed_once_and_works(app, runner):
    result = run(runner, "users", "create", "--email", EMAIL, "--role", "admin", "--generate-password")
    assert result.exit_code == 0, result.output
    password = result.output.strip().rsplit(" : ", 1)[1]
    assert len(password) >= 20
    with get_db(app).session_scope() as s:
        assert services.authenticate(s, EMAIL, password) is not None


def test_proconnect_only_accounts_have_no_password(app, runner):
    result = run(runner, "users", "create", "--email", EMAIL, "--role", "manager", "--no-password")
    assert result.exit_code == 0, result.output
    assert user(app).password_hash is None


def test_bad_input_is_refused_and_nothing_is_written(app, runner):
    unknown_role = run(runner, "users", "create", "--email", EMAIL, "--role", "chef", "--no-password")
    assert unknown_role.exit_code == 2 and "chef" in unknown_role.output
    unknown_squad = run(
        runner, "users", "create", "--email", EMAIL, "--role", "manager", "--squad", "inconnue", "--no-password"
    )
    assert unknown_squad.exit_code == 1 and "Start-up d'État inconnue : inconnue." in unknown_squad.output
    bad_email = run(runner, "users", "create", "--email", "camille", "--role", "manager", "--no-password")
    assert bad_email.exit_code == 1 and "Adresse électronique invalide" in bad_email.output
    assert user(app) is None and actions(app) == []

    run(runner, "users", "create", "--email", EMAIL, "--role", "manager", "--no-password")
    duplicate = run(runner, "users", "create", "--email", EMAIL.upper(), "--role", "manager", "--no-password")
    assert duplicate.exit_code == 1 and "Un compte existe déjà" in duplicate.output


def test_list_change_roles_and_deactivate(app, runner):
    run(runner, "users", "create", "--email", EMAIL, "--role", "squad_member", "--no-password")
    epoch = user(app).session_epoch

    listed = run(runner, "users", "list")
    assert EMAIL in listed.output and "squad_member" in listed.output and "actif" in listed.output

    roles = run(runner, "users", "roles", "--email", EMAIL, "--role", "product_owner", "--role", "manager")
    assert roles.exit_code == 0 and "Responsable produit, Pilotage" in roles.output
    assert user(app).roles == ["manager", "product_owner"]
    same = run(runner, "users", "roles", "--email", EMAIL, "--role", "manager", "--role", "product_owner")
    assert "Rien à changer" in same.output

    off = run(runner, "users", "deactivate", "--email", EMAIL)
    assert off.exit_code == 0 and "désactivé" in off.output
    closed = user(app)
    assert closed.active is False and closed.session_epoch == epoch + 1
    assert "désactivé" in run(runner, "users", "list").output
    assert actions(app) == ["user.create", "user.roles", "user.deactivate"]

    missing = run(runner, "users", "deactivate", "--email", "personne@beta.gouv.fr")
    assert missing.exit_code == 1 and "Aucun agent n'a l'adresse personne@beta.gouv.fr." in missing.output


def test_tokens_from_the_command_line(app, runner):
    run(runner, "users", "create", "--email", EMAIL, "--role", "manager", "--no-password")

    created = run(runner, "tokens", "create", "--email", EMAIL, "--name", "Export hebdomadaire", "--days", "0")
    assert created.exit_code == 0, created.output
    raw = created.stdout.strip()
    assert raw.startswith("irr_") and "\n" not in raw  # only the token on stdout, for scripts
    assert "sans expiration" in created.stderr and "plus jamais affiché" in created.stderr

    listed = run(runner, "tokens", "list", "--email", EMAIL)
    assert "Export hebdomadaire" in listed.output and raw[:12] in listed.output and raw not in listed.output
    assert "actif" in listed.output and "utilisé jamais" in listed.output

    with get_db(app).session_scope() as s:
        token_id = s.scalar(select(ApiToken.id))
    assert run(runner, "tokens", "revoke", "--id", str(token_id)).exit_code == 0
    assert "révoqué" in run(runner, "tokens", "list", "--email", EMAIL).output
    assert "déjà révoqué" in run(runner, "tokens", "revoke", "--id", str(token_id)).output
    assert run(runner, "tokens", "revoke", "--id", "999999").exit_code == 1

    empty_name = run(runner, "tokens", "create", "--email", EMAIL, "--name", " ")
    assert empty_name.exit_code == 2
    assert actions(app) == ["user.create", "token.create", "token.revoke"]


def test_no_new_token_for_a_deactivated_agent(app, runner):
    run(runner, "users", "create", "--email", EMAIL, "--role", "manager", "--no-password")
    run(runner, "users", "deactivate", "--email", EMAIL)
    result = run(runner, "tokens", "create", "--email", EMAIL, "--name", "Export")
    assert result.exit_code == 1 and "désactivé" in result.output


def test_demo_agents_are_created_once_one_per_role_and_can_sign_in(app, client):
    from irritants.auth.demo import create_demo_agents

    with app.app_context(), get_db(app).session_scope() as s:
        created = create_demo_agents(s)
        s.commit()
        assert create_demo_agents(s) == []  # only on an empty users table
        roles = sorted(role for user in s.scalars(select(User)) for role in user.roles)
    assert roles == ["admin", "correspondant", "manager", "product_owner", "squad_member"]
    email, _name, password = created[1]
    page = client.get("/agents/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/agents/connexion", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303 and client.get("/agents/irritants").status_code == 200
