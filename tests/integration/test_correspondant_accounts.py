"""Correspondants' accounts: the administration they speak for, required with the role and only with it, from the
command line, the accounts' forms and the demo data."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from irritants.auth import accounts
from irritants.auth.models import User
from irritants.auth.services import agent_for
from irritants.db import get_db
from irritants.errors import ValidationFailed
from irritants.referential.models import Administration
from tests.conftest import make_user, sign_in

EMAIL = "claude.petit@caf.fr"


def run(runner, *args: str):
    return runner.invoke(args=list(args))


def stored(app, email: str = EMAIL) -> tuple[list[str], str | None] | None:
    with get_db(app).session_scope() as s:
        user = s.scalar(select(User).where(User.email == email))
        return None if user is None else (user.roles, accounts.administration_slug(s, user))


def test_the_command_creates_a_correspondant_of_an_administration_and_lists_it(app, runner):
    result = run(runner, "users", "create", "--email", EMAIL, "--role", "correspondant", "--administration", "caf",
                 "--no-password")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert stored(app) == (["correspondant"], "caf")
    assert "administration : caf" in run(runner, "users", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "correspondant"), "doit être rattaché à une administration"),
        (("--role", "manager", "--administration", "caf"), "Seul un correspondant"),
        (("--role", "correspondant", "--administration", "inconnue"), "Administration inconnue : inconnue"),
        (("--role", "correspondant", "--role", "manager", "--administration", "caf"), "ne se cumule avec aucun autre"),
    ],
)
def test_the_command_refuses_a_correspondant_without_administration_and_the_reverse(app, runner, args, message):
    result = run(runner, "users", "create", "--email", EMAIL, *args, "--no-password")
    assert result.exit_code == 1 and message in result.output
    assert stored(app) is None


def test_changing_roles_attaches_and_detaches_the_administration(app, runner):
    run(runner, "users", "create", "--email", EMAIL, "--role", "manager", "--no-password")
    refused = run(runner, "users", "roles", "--email", EMAIL, "--role", "correspondant")
    assert refused.exit_code == 1 and "doit être rattaché" in refused.output
    assert (
        run(
            runner, "users", "roles", "--email", EMAIL, "--role", "correspondant", "--administration", "dgfip"
        ).exit_code
        == 0
    )
    assert stored(app) == (["correspondant"], "dgfip")
    assert run(runner, "users", "roles", "--email", EMAIL, "--role", "manager").exit_code == 0
    assert stored(app) == (["manager"], None)


def test_the_agent_of_a_correspondant_carries_their_administration(app):
    with app.app_context(), get_db(app).session_scope() as s:
        user = accounts.create_user(s, EMAIL, ["correspondant"], administration="caf")
        assert agent_for(s, user).administration == "caf"
        with pytest.raises(ValidationFailed) as refused:
            accounts.set_roles(s, user, ["correspondant", "product_owner"])
        assert "roles" in refused.value.errors


def test_an_administrator_makes_a_correspondant_from_the_accounts_form(app, client):
    with get_db(app).session_scope() as s:
        admin = make_user(s, "admin")
        target = make_user(s, "manager", email=EMAIL)
        signed, target_id = SimpleNamespace(get_id=lambda v=admin.get_id(): v), target.id
        s.commit()
    sign_in(client, signed)
    url = f"/agents/comptes/{target_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="administration"' in page and "Caisse d&#39;allocations familiales" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post(url, data={"csrf_token": token, "roles": "correspondant"})
    assert refused.status_code == 422
    assert "doit être rattaché à une administration" in refused.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": token, "roles": "correspondant", "administration": "caf"})
    assert done.status_code == 303
    assert stored(app) == (["correspondant"], "caf")


def test_the_demo_has_a_correspondant_of_the_caf(app):
    from irritants.auth.demo import create_demo_agents

    with app.app_context(), get_db(app).session_scope() as s:
        create_demo_agents(s)
        s.commit()
        caf = s.scalar(select(Administration.id).where(Administration.slug == "caf"))
        demo = s.scalar(select(User).where(User.roles.is_not(None), User.email.like("correspondant%")))
        assert demo.roles == ["correspondant"] and demo.administration_id == caf
