"""Creating and editing start-ups d'État and moving them along their life-cycle, each change audited.

Below the policy (``auth``): the caller (API view, command) has already checked who may act; these functions take
the acting agent only to record it. They take the session first and never commit.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.audit.services import Actor
from irritants.db import utcnow
from irritants.errors import NotFoundError, StaleObject
from irritants.french import today
from irritants.paging import Page, ordered, paginate
from irritants.referential.models import Administration
from irritants.referential.services import administration_by_slug
from irritants.squads.backlog import flush, invalid
from irritants.squads.models import Squad, SquadMember, SquadPhaseChange
from irritants.squads.phases import PHASE_LABELS, SquadPhase, refusal
from irritants.squads.schemas import PROFILE_FIELDS

STALE_MESSAGE = (
    "Cette start-up d'État a été modifiée entre-temps par quelqu'un d'autre : votre modification n'a pas été "
    "appliquée. Vérifiez sa fiche actuelle avant de recommencer."
)


@dataclass(frozen=True)
class SquadProfile:
    """A squad with what its pages and the API show beside it: its sponsoring administration and dated phases."""

    squad: Squad
    administration: Administration | None
    phases: list[SquadPhaseChange]  # oldest first


def slugify(name: str) -> str:
    """ASCII, lower-case, hyphenated identifier of a name: « Rendez-vous préfecture » → rendez-vous-prefecture."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100].strip("-")


def squad_by_slug(session: Session, slug: str) -> Squad:
    """The squad with this slug, or a 404."""
    squad = session.scalar(select(Squad).where(Squad.slug == slug[:100]))
    if squad is None:
        raise NotFoundError("Cette start-up d'État n'existe pas.")
    return squad


def squad_of(session: Session, squad_id: int | None) -> Squad | None:
    """The squad with this id, or None (an irritant no squad took yet)."""
    return session.get(Squad, squad_id) if squad_id else None


# What the list of squads may be sorted by (the API's ``sort``).
SQUAD_SORTS = ("name", "created_at")


def list_squads(session: Session, *, page: int, page_size: int, sort: str = "name") -> Page[Squad]:
    """One page of the squads, in the ``sort`` order (by name by default)."""
    stmt = ordered(select(Squad), sort, {"name": Squad.name, "created_at": Squad.created_at}, tiebreak=Squad.id)
    return paginate(session, stmt, page=page, page_size=page_size)


def member_counts(session: Session) -> dict[int, int]:
    """Number of members of each squad that has any."""
    stmt = select(SquadMember.squad_id, func.count()).group_by(SquadMember.squad_id)
    return {squad_id: count for squad_id, count in session.execute(stmt)}


def phase_history(session: Session, squad_id: int) -> list[SquadPhaseChange]:
    """The dated phases of a squad, oldest first."""
    stmt = select(SquadPhaseChange).where(SquadPhaseChange.squad_id == squad_id)
    return list(session.scalars(stmt.order_by(SquadPhaseChange.started_on, SquadPhaseChange.id)))


def profile(session: Session, squad: Squad) -> SquadProfile:
    """A squad with its administration and phase history."""
    admin = session.get(Administration, squad.administration_id) if squad.administration_id else None
    return SquadProfile(squad, admin, phase_history(session, squad.id))


def profiles(session: Session, squads: list[Squad]) -> list[SquadProfile]:
    """``profile`` of several squads in three queries."""
    ids = [s.id for s in squads]
    history: dict[int, list[SquadPhaseChange]] = {i: [] for i in ids}
    if ids:
        stmt = select(SquadPhaseChange).where(SquadPhaseChange.squad_id.in_(ids))
        for change in session.scalars(stmt.order_by(SquadPhaseChange.started_on, SquadPhaseChange.id)):
            history[change.squad_id].append(change)
    admin_ids = {s.administration_id for s in squads if s.administration_id}
    admins = (
        {a.id: a for a in session.scalars(select(Administration).where(Administration.id.in_(admin_ids)))}
        if admin_ids
        else {}
    )
    return [SquadProfile(s, admins.get(s.administration_id or 0), history[s.id]) for s in squads]


def _fields(squad: Squad) -> dict[str, Any]:
    """What the audit log keeps of a squad's profile, before and after a change."""
    return {
        "name": squad.name,
        "slug": squad.slug,
        "phase": squad.phase,
        "mission": squad.mission,
        "administration_id": squad.administration_id,
        "incubator": squad.incubator,
        "product_url": squad.product_url,
        "repository_url": squad.repository_url,
        "stats_url": squad.stats_url,
    }


def _administration_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    admin = administration_by_slug(session, slug)
    if admin is None:
        raise invalid("administration", f"Administration inconnue : « {slug} » (voir GET /api/v1/administrations).")
    return admin.id


def _check_unique(session: Session, name: str, slug: str, *, other_than: int | None = None) -> None:
    stmt = select(Squad).where(or_(func.lower(Squad.name) == name.lower(), Squad.slug == slug))
    if other_than is not None:
        stmt = stmt.where(Squad.id != other_than)
    clash = session.scalar(stmt.limit(1))
    if clash is None:
        return
    field = "slug" if clash.slug == slug else "name"
    raise invalid(field, f"La start-up d'État « {clash.name} » ({clash.slug}) existe déjà.")


def _check_day(day: dt.date, after: dt.date | None) -> None:
    if day > today():
        raise invalid("started_on", "La date de début d'une phase ne peut pas être dans le futur.")
    if after is not None and day < after:
        raise invalid(
            "started_on", f"La phase précédente a commencé le {after:%d/%m/%Y} : la nouvelle ne peut commencer avant."
        )


def _record_phase(
    session: Session, agent: Actor | None, squad: Squad, phase: SquadPhase, day: dt.date, note: str | None
) -> SquadPhaseChange:
    change = SquadPhaseChange(
        squad_id=squad.id,
        phase=phase,
        started_on=day,
        note=note,
        recorded_by_id=agent.user_id if agent else None,
        recorded_by=agent.label if agent else audit.SYSTEM,
    )
    session.add(change)
    return change


def create_squad(session: Session, agent: Actor | None, data: dict[str, Any]) -> Squad:
    """A new squad from ``SquadCreateSchema`` data, its first dated phase, and the audit event."""
    name = data["name"]
    slug = data.get("slug") or slugify(name)
    if not slug:
        raise invalid("slug", "Impossible de tirer un identifiant de ce nom : précisez-le (slug).")
    _check_unique(session, name, slug)
    phase = SquadPhase(data.get("phase") or SquadPhase.INVESTIGATION)
    day = data.get("started_on") or today()
    _check_day(day, None)
    squad = Squad(
        name=name, slug=slug, phase=phase, administration_id=_administration_id(session, data.get("administration"))
    )
    for key in ("mission", "incubator", "product_url", "repository_url", "stats_url"):
        setattr(squad, key, data.get(key))
    session.add(squad)
    session.flush()
    _record_phase(session, agent, squad, phase, day, None)
    audit.record(session, agent, "squad.create", "squad", squad.id, after={**_fields(squad), "started_on": day})
    return squad


def check_version(squad: Squad, expected_version: int | None) -> None:
    """The agent edited the version they saw: anything else means someone changed the squad meanwhile (409)."""
    if expected_version is not None and expected_version != squad.version:
        raise StaleObject(STALE_MESSAGE)


def edit_squad(session: Session, agent: Actor | None, squad: Squad, data: dict[str, Any]) -> Squad:
    """Change the profile fields present in ``SquadPatchSchema`` data (not the slug: addresses rely on it)."""
    check_version(squad, data.get("expected_version"))
    before = _fields(squad)
    if data.get("name") is not None and data["name"] != squad.name:
        _check_unique(session, data["name"], squad.slug, other_than=squad.id)
        squad.name = data["name"]
    if "administration" in data:
        squad.administration_id = _administration_id(session, data["administration"])
    for key in PROFILE_FIELDS:
        if key in data and key not in ("name", "administration"):
            setattr(squad, key, data[key])
    after = _fields(squad)
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return squad
    squad.updated_at = utcnow()
    flush(session, STALE_MESSAGE)
    audit.record(
        session, agent, "squad.edit", "squad", squad.id,
        before={k: before[k] for k in sorted(changed)}, after={k: after[k] for k in sorted(changed)},
    )  # fmt: skip
    return squad


def change_phase(session: Session, agent: Actor | None, squad: Squad, data: dict[str, Any]) -> SquadPhaseChange:
    """Move the squad to ``data["phase"]`` as the phase table allows, dated, with its note; audited."""
    check_version(squad, data.get("expected_version"))
    to, note = SquadPhase(data["phase"]), data.get("note")
    why = refusal(squad.phase, to, note)
    if why is not None:
        raise invalid(why.field, why.message)
    history = phase_history(session, squad.id)
    day = data.get("started_on") or today()
    _check_day(day, history[-1].started_on if history else None)
    before = squad.phase
    squad.phase = to
    squad.updated_at = utcnow()
    change = _record_phase(session, agent, squad, to, day, note)
    flush(session, STALE_MESSAGE)
    audit.record(
        session, agent, "squad.phase", "squad", squad.id,
        before={"phase": before}, after={"phase": to, "started_on": day}, reason=note,
    )  # fmt: skip
    return change


def phase_label(phase: SquadPhase | str) -> str:
    """A phase in French."""
    return PHASE_LABELS[SquadPhase(phase)]
