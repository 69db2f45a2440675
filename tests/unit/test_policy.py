"""The central authorisation policy, rule by rule (the route × role matrix is in tests/web)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from irritants.auth.policy import Action, Agent, decide, moderation_scope


def agent(*roles: str, squads: tuple[int, ...] = ()) -> Agent:
    return Agent(user_id=1, label="agent@beta.gouv.fr", roles=frozenset(roles), squads=frozenset(squads))


UNASSIGNED = SimpleNamespace(squad_id=None)
OURS = SimpleNamespace(squad_id=1)
THEIRS = SimpleNamespace(squad_id=2)


def test_anonymous_must_sign_in():
    assert decide(None, Action.VIEW_BACKLOG).status == 401


@pytest.mark.parametrize("role", ["product_owner", "squad_member", "manager", "admin"])
def test_every_role_sees_the_backlog(role):
    assert decide(agent(role), Action.VIEW_BACKLOG)


def test_an_account_without_role_sees_nothing():
    assert decide(agent(), Action.VIEW_BACKLOG).status == 403


def test_product_owner_reshapes_unassigned_and_own_squad_irritants_only():
    po = agent("product_owner", squads=(1,))
    assert decide(po, Action.RESHAPE, UNASSIGNED)
    assert decide(po, Action.RESHAPE, OURS)
    assert decide(po, Action.RESHAPE, [OURS, THEIRS]).status == 403
    assert decide(po, Action.ASSIGN_SQUAD, THEIRS).status == 403


def test_squad_member_only_moves_own_irritants_along_the_work_statuses():
    member = agent("squad_member", squads=(1,))
    assert decide(member, Action.CHANGE_STATUS, OURS, to="in_progress")
    assert decide(member, Action.CHANGE_STATUS, OURS, to="spam").status == 403
    assert decide(member, Action.CHANGE_STATUS, THEIRS, to="in_progress").status == 403
    assert decide(member, Action.CHANGE_STATUS, UNASSIGNED, to="in_progress").status == 403
    assert decide(member, Action.RESHAPE, OURS).status == 403
    assert decide(member, Action.MODERATE).status == 403


def test_manager_reads_but_never_decides():
    manager = agent("manager")
    assert decide(manager, Action.VIEW_BACKLOG)
    for action in (Action.EDIT_CLUSTER, Action.RESHAPE, Action.ASSIGN_SQUAD, Action.MODERATE, Action.MANAGE_USERS):
        assert decide(manager, action, UNASSIGNED).status == 403
    assert decide(manager, Action.CHANGE_STATUS, UNASSIGNED, to="triaged").status == 403


def test_templates_of_another_squad_are_not_even_known():
    member = agent("squad_member", squads=(1,))
    assert decide(member, Action.MANAGE_TEMPLATES, OURS)
    assert decide(member, Action.MANAGE_TEMPLATES, THEIRS).status == 404
    assert decide(member, Action.MANAGE_TEMPLATES, UNASSIGNED).status == 403


def test_creating_a_template_for_a_squad_one_is_not_in_is_forbidden_not_hidden():
    po = agent("product_owner", squads=(1,))
    assert decide(po, Action.MANAGE_TEMPLATES, OURS, creating=True)
    assert decide(po, Action.MANAGE_TEMPLATES, THEIRS, creating=True).status == 403
    assert decide(po, Action.MANAGE_TEMPLATES, UNASSIGNED, creating=True)


def test_admin_may_do_everything():
    admin = agent("admin")
    for action in Action:
        assert decide(admin, action, THEIRS, to="spam")


def test_product_owners_moderate_reports_of_their_squads_and_of_no_squad_only():
    po = agent("product_owner", squads=(1,))
    assert decide(po, Action.MODERATE)  # a report not yet in an irritant
    assert decide(po, Action.MODERATE, UNASSIGNED)
    assert decide(po, Action.MODERATE, OURS)
    assert decide(po, Action.MODERATE, THEIRS).status == 403
    assert decide(agent("admin"), Action.MODERATE, THEIRS)
    assert moderation_scope(po) == frozenset({1})
    assert moderation_scope(agent("admin")) is None


def test_only_admins_create_squads():
    assert decide(agent("admin"), Action.MANAGE_SQUADS)
    for role in ("product_owner", "squad_member", "manager"):
        assert decide(agent(role, squads=(1,)), Action.MANAGE_SQUADS).status == 403, role


def test_a_squad_is_edited_by_its_own_product_owners_and_admins_only():
    squad_1, squad_2 = SimpleNamespace(id=1), SimpleNamespace(id=2)
    po = agent("product_owner", squads=(1,))
    assert decide(po, Action.EDIT_SQUAD, squad_1)
    assert decide(po, Action.EDIT_SQUAD, squad_2).status == 403
    assert decide(agent("admin"), Action.EDIT_SQUAD, squad_2)
    for role in ("squad_member", "manager"):
        assert decide(agent(role, squads=(1,)), Action.EDIT_SQUAD, squad_1).status == 403, role
    assert decide(None, Action.EDIT_SQUAD, squad_1).status == 401


def test_a_squads_webhooks_are_managed_and_read_by_its_own_product_owners_and_admins_only():
    squad_1, squad_2 = SimpleNamespace(id=1), SimpleNamespace(id=2)
    po = agent("product_owner", squads=(1,))
    assert decide(po, Action.MANAGE_WEBHOOKS)  # some squad's: may open the door at all
    assert decide(po, Action.MANAGE_WEBHOOKS, squad_1)
    assert decide(po, Action.MANAGE_WEBHOOKS, squad_2).status == 403
    assert decide(agent("admin"), Action.MANAGE_WEBHOOKS, squad_2)
    for role in ("squad_member", "manager"):
        assert decide(agent(role, squads=(1,)), Action.MANAGE_WEBHOOKS, squad_1).status == 403, role
        assert decide(agent(role, squads=(1,)), Action.MANAGE_WEBHOOKS).status == 403, role
    assert decide(None, Action.MANAGE_WEBHOOKS, squad_1).status == 401


def test_a_fix_is_declared_by_the_product_owners_of_the_irritants_squad_and_admins_only():
    po = agent("product_owner", squads=(1,))
    assert decide(po, Action.DECLARE_FIX, OURS)
    assert decide(po, Action.DECLARE_FIX, THEIRS).status == 403
    assert decide(po, Action.DECLARE_FIX, UNASSIGNED).status == 403  # no squad in charge: admins only
    assert decide(agent("admin"), Action.DECLARE_FIX, THEIRS)
    assert decide(agent("admin"), Action.DECLARE_FIX, UNASSIGNED)
    for role in ("squad_member", "manager"):
        assert decide(agent(role, squads=(1,)), Action.DECLARE_FIX, OURS).status == 403, role
    assert decide(None, Action.DECLARE_FIX, OURS).status == 401


def test_a_reports_author_is_asked_by_the_product_owners_who_answer_for_the_irritant_and_admins_only():
    po = agent("product_owner", squads=(1,))
    assert decide(po, Action.ASK_REPORTER, OURS)
    assert decide(po, Action.ASK_REPORTER, UNASSIGNED)
    assert decide(po, Action.ASK_REPORTER, THEIRS).status == 403
    assert decide(agent("admin"), Action.ASK_REPORTER, THEIRS)
    for role in ("squad_member", "manager"):
        assert decide(agent(role, squads=(1,)), Action.ASK_REPORTER, OURS).status == 403


def test_exports_are_for_managers_and_admins_only():
    assert decide(agent("manager"), Action.EXPORT)
    assert decide(agent("admin"), Action.EXPORT)
    assert decide(agent("product_owner", "manager", squads=(1,)), Action.EXPORT)
    for role in ("product_owner", "squad_member"):  # their squad's own pages and backlog file give them their data
        refused = decide(agent(role, squads=(1,)), Action.EXPORT)
        assert refused.status == 403 and "pilotage" in refused.reason, role
    assert decide(agent(), Action.EXPORT).status == 403
    assert decide(None, Action.EXPORT).status == 401


def test_the_dashboard_is_for_managers_and_admins_not_for_squads():
    assert decide(agent("manager"), Action.VIEW_INSIGHTS)
    assert decide(agent("admin"), Action.VIEW_INSIGHTS)
    for role in ("product_owner", "squad_member"):
        refused = decide(agent(role, squads=(1,)), Action.VIEW_INSIGHTS)
        assert refused.status == 403 and "pilotage" in refused.reason, role
    assert decide(agent(), Action.VIEW_INSIGHTS).status == 403
    assert decide(None, Action.VIEW_INSIGHTS).status == 401
