"""Back-office forms of agents' accounts (administrators only): the list (`/agents/comptes`), the creation form, and an
account's page: roles and squads, deactivation and reactivation, password reset, its API tokens.

The same rules and audit events as ``irritants users …`` and ``irritants tokens …``: ``auth.accounts`` and
``auth.api_tokens`` do the work. Secrets are shown once, on the answer to the form that made them (never in a flash
message, which travels in the session cookie), and neither password hashes nor token values are ever shown. An
administrator cannot deactivate themself nor take away their own admin role (the service refuses, in French).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from irritants.auth import accounts, api_tokens, passwords
from irritants.auth.access import current_agent, require
from irritants.auth.models import ROLE_LABELS, User
from irritants.auth.policy import Action, Agent, decide
from irritants.auth.schemas import ACCOUNT_LABELS, PASSWORD_CHOICES, AccountCreateSchema, AccountEditSchema
from irritants.db import get_session
from irritants.errors import ValidationFailed
from irritants.teams.admin_forms import load, refused

bp = Blueprint("accounts", __name__, url_prefix="/agents/comptes")

MAX_ID = 2**31 - 1
TOKEN_STATES = {"active": "Actif", "expired": "Expiré", "revoked": "Révoqué"}
TOKEN_BADGES = {"active": "success", "expired": "warning", "revoked": "error"}


def _squad_options() -> list[tuple[str, str]]:
    return [(s.slug, s.name) for s in accounts.all_squads(get_session())]


def _common() -> dict[str, Any]:
    return {
        "labels": ACCOUNT_LABELS,
        "role_options": [(role.value, label) for role, label in ROLE_LABELS.items()],
        "squad_options": _squad_options(),
        "administration_options": [(a.slug, a.name) for a in accounts.list_administrations(get_session())],
        "role_labels": accounts.role_labels,
    }


@bp.get("")
def accounts_page() -> Any:
    """Every agent: email, name, roles, squads, state, last sign-in."""
    require(Action.MANAGE_USERS)
    db = get_session()
    html = render_template(
        "auth/accounts.html", users=accounts.list_users(db), squads=accounts.squads_by_user(db), **_common()
    )
    return html


def _render_new(form: Any, errors: dict[str, list[str]], status: int = 200) -> Any:
    html = render_template(
        "auth/account_new.html", form=form, errors=errors, password_choices=PASSWORD_CHOICES, **_common()
    )
    return html, status


@bp.get("/nouveau")
def new_account() -> Any:
    """« Créer un compte »."""
    require(Action.MANAGE_USERS)
    return _render_new(MultiDict({"password_mode": "generate"}), {})


@bp.post("")
def create_account() -> Any:
    """Create an agent (audited: ``user.create``); a generated password is shown on this answer only."""
    agent = require(Action.MANAGE_USERS)
    db = get_session()
    try:
        data = load(AccountCreateSchema(), request.form)
        # Without a generated password, the agent signs in with ProConnect only.
        password = passwords.generate_password() if data["generate"] else None
        user = accounts.create_user(
            db,
            data["email"],
            data["roles"],
            name=data["name"],
            password=password,
            squad_slugs=data["squads"],
            administration=data["administration"],
            min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            agent=agent,
        )
        db.commit()
    except ValidationFailed as err:
        db.rollback()
        return _render_new(request.form, refused(err), 422)
    notice = f"Compte créé pour {user.email}."
    return _render_account(agent, user, created=notice, new_password=password, status=201)


def _user(user_id: int) -> tuple[Agent, User]:
    agent = require(Action.MANAGE_USERS)
    return agent, accounts.user_by_id(get_session(), min(user_id, MAX_ID))


def _render_account(
    agent: Agent,
    user: User,
    *,
    form: Any = None,
    errors: dict[str, list[str]] | None = None,
    created: str = "",
    new_password: str | None = None,
    status: int = 200,
) -> Any:
    db = get_session()
    squads = accounts.user_squads(db, user.id)
    if form is None:
        form = MultiDict(
            [("roles", r) for r in user.roles or []]
            + [("squads", s.slug) for s in squads]
            + [("administration", accounts.administration_slug(db, user) or "")]
        )
    tokens = [(token, api_tokens.token_state(token)) for token in api_tokens.list_tokens(db, user.id)]
    html = render_template(
        "auth/account.html",
        user=user,
        squads=squads,
        oneself=agent.user_id == user.id,
        form=form,
        errors=errors or {},
        created=created,
        new_password=new_password,
        tokens=tokens,
        token_states=TOKEN_STATES,
        token_badges=TOKEN_BADGES,
        **_common(),
    )
    return html, status


@bp.get("/<int:user_id>")
def account_page(user_id: int) -> Any:
    """One agent's account: roles and squads, state, password, API tokens."""
    agent, user = _user(user_id)
    return _render_account(agent, user)


@bp.post("/<int:user_id>")
def edit_account(user_id: int) -> Any:
    """Replace an agent's roles and squads (audited: ``user.roles``, ``user.squads``)."""
    agent, user = _user(user_id)
    db = get_session()
    try:
        data = load(AccountEditSchema(), request.form)
        changed = accounts.set_roles(db, user, data["roles"], administration=data["administration"], agent=agent)
        changed = accounts.set_squads(db, user, data["squads"], agent=agent) or changed
        db.commit()
    except ValidationFailed as err:
        db.rollback()
        user = accounts.user_by_id(db, user.id)
        return _render_account(agent, user, form=request.form, errors=refused(err), status=422)
    flash("Rôles et start-ups d’État enregistrés." if changed else "Rien à changer.", "success" if changed else "info")
    return redirect(url_for("accounts.account_page", user_id=user.id), 303)


def _state_change(user_id: int, change: Any, done: str, unchanged: str) -> Any:
    agent, user = _user(user_id)
    db = get_session()
    try:
        changed = change(db, user, agent=agent)
        db.commit()
    except ValidationFailed as err:
        db.rollback()
        return _render_account(agent, accounts.user_by_id(db, user.id), errors=refused(err), status=422)
    flash(done if changed else unchanged, "success" if changed else "info")
    return redirect(url_for("accounts.account_page", user_id=user.id), 303)


@bp.post("/<int:user_id>/desactivation")
def deactivate_account(user_id: int) -> Any:
    """Close an account: its sessions end and its API tokens are revoked (audited: ``user.deactivate``)."""
    return _state_change(
        user_id,
        accounts.deactivate_user,
        "Compte désactivé : ses sessions sont terminées et ses jetons d’API révoqués.",
        "Ce compte était déjà désactivé.",
    )


@bp.post("/<int:user_id>/reactivation")
def reactivate_account(user_id: int) -> Any:
    """Open a closed account again (audited: ``user.reactivate``); its old API tokens stay revoked."""
    done = "Compte réactivé. Ses anciens jetons d’API restent révoqués."
    return _state_change(user_id, accounts.reactivate_user, done, "Ce compte était déjà actif.")


@bp.post("/<int:user_id>/mot-de-passe")
def reset_password(user_id: int) -> Any:
    """A new generated password, shown once on this answer; every session of the agent ends (audited:
    ``user.password_reset``)."""
    agent, user = _user(user_id)
    db = get_session()
    password = accounts.reset_password(db, user, agent=agent)
    db.commit()
    current_app.logger.info("agent %s reset the password of agent %s", agent.user_id, user.id)
    notice = "Nouveau mot de passe créé : toutes les sessions de cet agent sont terminées."
    return _render_account(agent, user, created=notice, new_password=password)


@bp.post("/<int:user_id>/jetons/<int:token_id>/revocation")
def revoke_token(user_id: int, token_id: int) -> Any:
    """Revoke one of the agent's API tokens (audited: ``token.revoke``)."""
    agent, user = _user(user_id)
    db = get_session()
    changed = api_tokens.revoke_token(db, min(token_id, MAX_ID), owner_id=user.id, agent=agent)
    db.commit()
    flash("Jeton révoqué." if changed else "Ce jeton était déjà révoqué.", "success" if changed else "info")
    return redirect(url_for("accounts.account_page", user_id=user.id, _anchor="jetons"), 303)


@bp.app_context_processor
def _header_links() -> dict[str, Any]:
    """``admin_links()`` for the agents' header: « Comptes », « Start-ups d'État » for who may manage them."""

    def admin_links() -> list[tuple[str, str]]:
        agent = current_agent()
        links = [
            (Action.MANAGE_USERS, url_for("accounts.accounts_page"), "Comptes"),
            (Action.MANAGE_SQUADS, url_for("squad_admin.squads_page"), "Start-ups d’État"),
        ]
        return [(url, label) for action, url, label in links if agent is not None and decide(agent, action)]

    return {"admin_links": admin_links}
