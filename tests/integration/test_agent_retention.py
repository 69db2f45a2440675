"""Deactivated agents' accounts are deleted DEACTIVATED_AGENT_RETENTION_DAYS after their deactivation, by a daily
job and ``irritants users purge-deactivated``; the history then names them « agent n° N (compte supprimé) »."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from irritants import periodic
from irritants.audit import services as audit
from irritants.audit.models import Event
from irritants.auth import accounts, api_tokens, retention, services
from irritants.auth.models import ApiToken, User
from irritants.db import get_db
from tests.conftest import make_user

T0 = dt.datetime(2025, 1, 10, 9, 0, tzinfo=dt.UTC)
GONE = "parti.depuis.longtemps@beta.gouv.fr"


def _world(app):
    """An agent deactivated at T0 who left a token and an audit event, one deactivated later, one still active."""
    with get_db(app).session_scope() as s:
        admin = make_user(s, "admin", email="admin@beta.gouv.fr")
        gone = make_user(s, "product_owner", email=GONE)
        recent = make_user(s, "squad_member", email="parti.recemment@beta.gouv.fr")
        active = make_user(s, "manager", email="toujours.la@beta.gouv.fr")
        s.flush()
        api_tokens.issue_token(s, gone, "script", days=30, agent=None)
        audit.record(s, services.agent_for(s, gone), "cluster.edit", "cluster", 1, after={"label": "x"})
        admin_agent = services.agent_for(s, admin)
        with time_machine.travel(T0, tick=False):
            accounts.deactivate_user(s, gone, agent=admin_agent)
        with time_machine.travel(T0 + dt.timedelta(days=300), tick=False):
            accounts.deactivate_user(s, recent, agent=admin_agent)
        s.commit()
        return gone.id, recent.id, active.id


def test_deactivation_dates_the_account_and_reactivation_clears_the_date(app):
    with get_db(app).session_scope() as s:
        user = make_user(s, "manager", email="camille@beta.gouv.fr")
        with time_machine.travel(T0, tick=False):
            accounts.deactivate_user(s, user)
        assert user.deactivated_at == T0
        accounts.reactivate_user(s, user)
        assert user.deactivated_at is None and user.active


def test_the_purge_deletes_accounts_past_the_retention_and_rewrites_their_name_in_the_history(app, runner):
    gone, recent, active = _world(app)

    with time_machine.travel(T0 + dt.timedelta(days=366), tick=False):
        planned = runner.invoke(args=["users", "purge-deactivated", "--dry-run"])
        result = runner.invoke(args=["users", "purge-deactivated"])
        again = runner.invoke(args=["users", "purge-deactivated"])

    assert "Simulation : 1 compte désactivé depuis plus de 365 jours serait supprimé" in planned.output
    assert result.exit_code == 0, result.output
    assert "1 compte désactivé depuis plus de 365 jours supprimé" in result.output
    assert "0 compte" in again.output
    with get_db(app).session_scope() as s:
        assert set(s.scalars(select(User.id))) >= {recent, active}
        assert s.get(User, gone) is None
        assert s.scalars(select(ApiToken).where(ApiToken.user_id == gone)).all() == []
        events = s.scalars(select(Event)).all()
        texts = " ".join(f"{e.actor} {e.before} {e.after}" for e in events)
    assert GONE not in texts and "parti.depuis" not in texts
    assert any(e.actor == f"agent n° {gone} (compte supprimé)" and e.action == "cluster.edit" for e in events)


def test_the_daily_job_is_registered_and_deletes_the_same_accounts(app):
    gone, recent, _active = _world(app)

    assert retention.DAILY_JOB in periodic.periodic_jobs(app)
    with time_machine.travel(T0 + dt.timedelta(days=366), tick=False):
        assert retention.purge_job(app) == 1
    with get_db(app).session_scope() as s:
        assert s.get(User, gone) is None and s.get(User, recent) is not None


def test_the_retention_is_a_setting(make_app):
    app = make_app(DEACTIVATED_AGENT_RETENTION_DAYS=30)
    gone, recent, _active = _world(app)

    with time_machine.travel(T0 + dt.timedelta(days=331), tick=False):
        assert retention.purge_job(app) == 2
    with get_db(app).session_scope() as s:
        assert s.get(User, gone) is None and s.get(User, recent) is None
