"""Back-office forms of start-ups d'État: the administrators' list and creation form (`/agents/startups`), and a
squad's « fiche » (`/agents/equipes/<slug>/fiche`): its profile, its phase, its members.

The same rules and audit events as the API and the command line: one schema per input (``squads.schemas``),
the squads service for the profile and the phase, ``auth.accounts`` for the members. Who may do what is the
policy's: creating a squad and managing its members is for administrators (``MANAGE_SQUADS``: membership opens a
squad's raw texts and decisions, so it is an access grant); its profile and phase are also for its own product
owners (``EDIT_SQUAD``). A refused form is shown again with its messages and what was typed (422, 409 when the
squad changed meanwhile); a done one redirects with a notice.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from irritants.auth import accounts
from irritants.auth.access import require
from irritants.auth.policy import Action, decide
from irritants.auth.schemas import MemberAddSchema
from irritants.db import get_session
from irritants.errors import StaleObject, ValidationFailed
from irritants.forms import typed_number
from irritants.intake.redaction import has_personal_data
from irritants.paging import PageQuerySchema
from irritants.referential import services as referential
from irritants.squads import services as squads
from irritants.squads.models import Squad
from irritants.squads.phases import NOTE_MAX, PHASE_BADGES, PHASE_LABELS, STARTS, SquadPhase, allowed_moves
from irritants.squads.schemas import (
    PROFILE_FIELDS,
    SquadCreateSchema,
    SquadPatchSchema,
    SquadPhaseSchema,
    personal_data_errors,
)
from irritants.teams.admin_forms import commit, load, refused

bp = Blueprint("squad_admin", __name__, url_prefix="/agents")

PAGE_SIZE = 50
PROFILE_LABELS = {
    "name": "Nom",
    "slug": "Identifiant (slug)",
    "mission": "Mission",
    "administration": "Administration qui la porte",
    "incubator": "Incubateur",
    "product_url": "Site du produit",
    "repository_url": "Dépôt de code",
    "stats_url": "Page de statistiques publique",
    "phase": "Phase de départ",
    "started_on": "Début de cette phase",
}
PHASE_FORM_LABELS = {"phase": "Nouvelle phase", "started_on": "Date de début", "note": "Note publique"}
MEMBER_LABELS = {"email": "Adresse électronique de l'agent"}


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """Public texts carry no personal data (as in the API); ValidationFailed names the field."""
    errors = personal_data_errors(data, has_personal_data)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return data


def _options(db: Any) -> list[tuple[str, str]]:
    return [(a.slug, a.name) for a in referential.list_administrations(db)]


# --- list and creation (administrators) -----------------------------------------------------------------------


@bp.get("/startups")
def squads_page() -> Any:
    """Every start-up d'État with its phase and number of members, and the link to create one."""
    require(Action.MANAGE_SQUADS)
    db = get_session()
    args = PageQuerySchema().load({"page": request.args.get("page", "1"), "page_size": str(PAGE_SIZE)})
    page = squads.list_squads(db, page=args["page"], page_size=PAGE_SIZE)
    html = render_template(
        "teams/startups.html",
        page=page,
        profiles=squads.profiles(db, page.items),
        members=squads.member_counts(db),
        phase_labels=PHASE_LABELS,
        phase_badges=PHASE_BADGES,
        link=lambda number: url_for("squad_admin.squads_page", page=number),
    )
    return html


def _render_new(form: Any, errors: dict[str, list[str]], status: int = 200) -> Any:
    html = render_template(
        "teams/startup_new.html",
        form=form,
        errors=errors,
        labels=PROFILE_LABELS,
        administrations=_options(get_session()),
        phases=[(p.value, PHASE_LABELS[p]) for p in SquadPhase if p in STARTS],
    )
    return html, status


@bp.get("/startups/nouvelle")
def new_squad() -> Any:
    """« Créer une start-up d'État »."""
    require(Action.MANAGE_SQUADS)
    return _render_new(MultiDict({"phase": SquadPhase.INVESTIGATION.value}), {})


@bp.post("/startups")
def create_squad() -> Any:
    """Create a squad and its first dated phase (audited: ``squad.create``), then its « fiche »."""
    agent = require(Action.MANAGE_SQUADS)
    db = get_session()
    try:
        squad = squads.create_squad(db, agent, _checked(load(SquadCreateSchema(), request.form)))
        db.commit()
    except ValidationFailed as err:
        db.rollback()
        return _render_new(request.form, refused(err), 422)
    flash(f"Start-up d'État « {squad.name} » créée.", "success")
    return redirect(url_for("squad_admin.squad_sheet", slug=squad.slug), 303)


# --- a squad's « fiche » (administrators and its product owners) ----------------------------------------------


def _squad(slug: str) -> tuple[Any, Squad]:
    require(Action.EDIT_SQUAD)  # anyone who may edit no squad at all is refused before the slug is looked up
    squad = squads.squad_by_slug(get_session(), slug)
    return require(Action.EDIT_SQUAD, squad), squad


def _render_sheet(agent: Any, squad: Squad, failed: str = "", form: Any = None, errors: Any = None, status=200) -> Any:
    db = get_session()
    profile = squads.profile(db, squad)
    # After a 409 the form is shown as the squad now is (form None): sending it again is a decision on what is there.
    values = {name: MultiDict() for name in ("phase", "member")}
    if form is not None and failed:
        values[failed] = form
    if failed != "profile" or form is None:
        values["profile"] = _profile_values(profile)
    html = render_template(
        "teams/squad_admin.html",
        squad=squad,
        profile=profile,
        failed=failed,
        values=values,
        errors=errors or {},
        labels={"profile": PROFILE_LABELS, "phase": PHASE_FORM_LABELS, "member": MEMBER_LABELS},
        administrations=_options(db),
        moves=[(p.value, PHASE_LABELS[p]) for p in allowed_moves(squad.phase)],
        phase_labels=PHASE_LABELS,
        phase_badges=PHASE_BADGES,
        note_max=NOTE_MAX,
        members=accounts.squad_members(db, squad.id),
        role_labels=accounts.role_labels,
        may_manage_members=bool(decide(agent, Action.MANAGE_SQUADS)),
    )
    return html, status


def _profile_values(profile: squads.SquadProfile) -> MultiDict:
    squad = profile.squad
    values = {key: getattr(squad, key) or "" for key in PROFILE_FIELDS if key != "administration"}
    values["administration"] = profile.administration.slug if profile.administration else ""
    return MultiDict(values)


@bp.get("/equipes/<slug>/fiche")
def squad_sheet(slug: str) -> Any:
    """A squad's profile, phase and members, with the forms that change them."""
    agent, squad = _squad(slug)
    return _render_sheet(agent, squad)


def _apply(slug: str, form_name: str, change: Any, done: str) -> Any:
    """One form of the « fiche »: ``change(db, agent, squad)`` committed, or the page again with why not."""
    agent, squad = _squad(slug)
    db = get_session()
    try:
        change(db, agent, squad)
        commit(squads.STALE_MESSAGE)
    except (ValidationFailed, StaleObject) as err:
        db.rollback()
        squad = squads.squad_by_slug(db, slug)
        form = None if isinstance(err, StaleObject) else request.form
        return _render_sheet(agent, squad, form_name, form, refused(err), err.status)
    flash(done, "success")
    return redirect(url_for("squad_admin.squad_sheet", slug=squad.slug, _anchor=form_name), 303)


def _edit_data() -> dict[str, Any]:
    """The edit form as ``SquadPatchSchema`` reads a JSON body: every field of the form is sent, a blank one empties
    the field (null), as a form shows each field whole."""
    data: dict[str, Any] = {key: request.form.get(key, "").strip() or None for key in PROFILE_FIELDS}
    version = request.form.get("expected_version", "").strip()
    data["expected_version"] = typed_number(version) if version else None
    return data


@bp.post("/equipes/<slug>/fiche")
def edit_squad(slug: str) -> Any:
    """Change the profile (audited: ``squad.edit``), on the version the agent saw."""

    def change(db: Any, agent: Any, squad: Squad) -> None:
        squads.edit_squad(db, agent, squad, _checked(load(SquadPatchSchema(), _edit_data())))

    return _apply(slug, "profile", change, "Fiche enregistrée.")


@bp.post("/equipes/<slug>/phase")
def change_phase(slug: str) -> Any:
    """Move the squad along its life-cycle (audited: ``squad.phase``), dated, with its note."""

    def change(db: Any, agent: Any, squad: Squad) -> None:
        squads.change_phase(db, agent, squad, _checked(load(SquadPhaseSchema(), request.form)))

    return _apply(slug, "phase", change, "Changement de phase enregistré.")


@bp.post("/equipes/<slug>/membres")
def add_member(slug: str) -> Any:
    """Add an existing agent to the squad, by email (administrators; audited: ``squad.member_add``)."""
    require(Action.MANAGE_SQUADS)

    def change(db: Any, agent: Any, squad: Squad) -> None:
        accounts.add_member(db, squad, load(MemberAddSchema(), request.form)["email"], agent=agent)

    return _apply(slug, "member", change, "Membre ajouté.")


@bp.post("/equipes/<slug>/membres/<int:user_id>/retrait")
def remove_member(slug: str, user_id: int) -> Any:
    """Take an agent out of the squad (administrators; audited: ``squad.member_remove``)."""
    require(Action.MANAGE_SQUADS)

    def change(db: Any, agent: Any, squad: Squad) -> None:
        accounts.remove_member(db, squad, min(user_id, 2**31 - 1), agent=agent)

    return _apply(slug, "member", change, "Membre retiré de la start-up d'État.")
