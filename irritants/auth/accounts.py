"""Agents' accounts as administrators manage them (the back-office forms and ``irritants users …`` alike): create,
roles, squads, deactivate, reset a password; each change audited. The caller commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.auth import api_tokens, passwords
from irritants.auth.models import ROLE_LABELS, Role, User
from irritants.auth.passwords import password_problems
from irritants.auth.policy import Agent
from irritants.auth.services import end_sessions, find_user, is_valid_email, normalise_email, password_context_words
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.referential.models import Administration
from irritants.sanitize import clean_line
from irritants.squads.models import Squad, SquadMember

NEEDS_ADMINISTRATION = "Un correspondant doit être rattaché à une administration : choisissez-la."
ONLY_CORRESPONDANTS = (
    "Seul un correspondant est rattaché à une administration : cochez ce rôle ou retirez l'administration."
)
CORRESPONDANT_ALONE = (
    "Le rôle de correspondant d'une administration ne se cumule avec aucun autre : il restreint ce que le compte voit."
)


def parse_roles(values: Iterable[str]) -> list[str]:
    """Known roles, deduplicated and sorted; ValidationFailed names any unknown one."""
    roles = sorted({value.strip().lower() for value in values if value.strip()})
    unknown = [role for role in roles if role not in {r.value for r in Role}]
    if unknown:
        known = ", ".join(r.value for r in Role)
        raise _invalid("roles", f"Rôle inconnu : {', '.join(unknown)} (rôles possibles : {known}).")
    if not roles:
        raise _invalid("roles", "Indiquez au moins un rôle.")
    if Role.CORRESPONDANT.value in roles and len(roles) > 1:
        raise _invalid("roles", CORRESPONDANT_ALONE)
    return roles


def administration_by_slug(session: Session, slug: str) -> Administration:
    """The administration with this slug; ValidationFailed (on the field ``administration``) otherwise."""
    found = session.scalar(select(Administration).where(Administration.slug == slug.strip().lower()))
    if found is None:
        raise _invalid("administration", f"Administration inconnue : {slug.strip()}.")
    return found


def _checked_administration(session: Session, roles: list[str], slug: str | None) -> Administration | None:
    """The administration a new set of roles goes with: required for a correspondant, refused for anyone else."""
    administration = administration_by_slug(session, slug) if slug and slug.strip() else None
    if Role.CORRESPONDANT.value in roles and administration is None:
        raise _invalid("administration", NEEDS_ADMINISTRATION)
    if Role.CORRESPONDANT.value not in roles and administration is not None:
        raise _invalid("administration", ONLY_CORRESPONDANTS)
    return administration


def list_administrations(session: Session) -> list[Administration]:
    """Every administration, by name (what a correspondant may speak for)."""
    return list(session.scalars(select(Administration).order_by(Administration.name)))


def administration_slug(session: Session, user: User) -> str | None:
    """The slug of an agent's administration (correspondants), or None."""
    if user.administration_id is None:
        return None
    return session.scalar(select(Administration.slug).where(Administration.id == user.administration_id))


def role_labels(roles: Iterable[str]) -> list[str]:
    """French names of roles, in the order of the Role enum."""
    held = set(roles)
    return [label for role, label in ROLE_LABELS.items() if role.value in held]


def get_user(session: Session, email: str) -> User:
    """The agent with this email; NotFoundError otherwise."""
    user = find_user(session, email)
    if user is None:
        raise NotFoundError(f"Aucun agent n'a l'adresse {normalise_email(email)}.")
    return user


def user_by_id(session: Session, user_id: int) -> User:
    """The agent with this id; NotFoundError otherwise."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("Agent introuvable.")
    return user


def list_users(session: Session) -> list[User]:
    """Every agent, by email."""
    return list(session.scalars(select(User).order_by(User.email)))


def squads_by_slug(session: Session, slugs: Iterable[str]) -> list[Squad]:
    """The squads with these slugs; ValidationFailed names any unknown slug."""
    wanted = sorted({slug.strip().lower() for slug in slugs if slug.strip()})
    if not wanted:
        return []
    found = {s.slug: s for s in session.scalars(select(Squad).where(Squad.slug.in_(wanted)))}
    missing = [slug for slug in wanted if slug not in found]
    if missing:
        raise _invalid("squads", f"Start-up d'État inconnue : {', '.join(missing)}.")
    return [found[slug] for slug in wanted]


def user_squads(session: Session, user_id: int) -> list[Squad]:
    """The squads an agent belongs to, by name."""
    stmt = (
        select(Squad)
        .join(SquadMember, SquadMember.squad_id == Squad.id)
        .where(SquadMember.user_id == user_id)
        .order_by(Squad.name)
    )
    return list(session.scalars(stmt))


def squad_members(session: Session, squad_id: int) -> list[User]:
    """The active agents of a squad, by name then email."""
    stmt = (
        select(User)
        .join(SquadMember, SquadMember.user_id == User.id)
        .where(SquadMember.squad_id == squad_id, User.active)
        .order_by(User.name, User.email)
    )
    return list(session.scalars(stmt))


def create_user(
    session: Session,
    email: str,
    roles: Iterable[str],
    *,
    name: str = "",
    password: str | None = None,
    squad_slugs: Iterable[str] = (),
    administration: str | None = None,
    min_password_length: int = 12,
    agent: Agent | None = None,
) -> User:
    """A new active agent (password optional: ProConnect-only agents have none), with an audit event; a correspondant
    needs ``administration`` (a slug), nobody else may have one."""
    email = normalise_email(email)
    if not is_valid_email(email):
        raise _invalid("email", "Adresse électronique invalide : elle doit ressembler à prenom.nom@exemple.gouv.fr.")
    if find_user(session, email) is not None:
        raise _invalid("email", f"Un compte existe déjà pour {email}.")
    role_list = parse_roles(roles)
    attached = _checked_administration(session, role_list, administration)
    squads = squads_by_slug(session, squad_slugs)
    if password is not None:
        problems = password_problems(
            password, min_length=min_password_length, email=email, context_words=password_context_words(session)
        )
        if problems:
            raise ValidationFailed(" ".join(problems), errors={"password": problems})
    user = User(
        email=email,
        name=clean_line(name)[:200],
        roles=role_list,
        password_hash=passwords.hash_password(password) if password is not None else None,
        administration_id=attached.id if attached else None,
    )
    session.add(user)
    session.flush()
    for squad in squads:
        session.add(SquadMember(squad_id=squad.id, user_id=user.id))
    session.flush()
    after = {**user.to_audit(), "squads": [squad.slug for squad in squads]}
    if attached is not None:
        after["administration"] = attached.slug
    audit.record(session, agent, "user.create", "user", user.id, after=after)
    return user


def set_roles(
    session: Session,
    user: User,
    roles: Iterable[str],
    *,
    administration: str | None = None,
    agent: Agent | None = None,
) -> bool:
    """Replace an agent's roles and, for a correspondant, their administration (a slug; None keeps the one they have):
    audited; False when nothing changed. Taking the correspondant role away detaches the account."""
    role_list = parse_roles(roles)
    if Role.ADMIN.value not in role_list:
        _not_oneself(user, agent, "roles", "Vous ne pouvez pas retirer votre propre rôle d'administration.")
    correspondant = Role.CORRESPONDANT.value in role_list
    current = administration_slug(session, user)
    wanted = (administration or current) if correspondant else administration
    attached = _checked_administration(session, role_list, wanted)
    before = sorted(user.roles or [])
    after_slug = attached.slug if attached else None
    if before == role_list and current == after_slug:
        return False
    user.roles = role_list
    user.administration_id = attached.id if attached else None
    session.flush()
    before_audit: dict[str, object] = {"roles": before}
    after_audit: dict[str, object] = {"roles": role_list}
    if current != after_slug:
        before_audit["administration"], after_audit["administration"] = current, after_slug
    audit.record(session, agent, "user.roles", "user", user.id, before=before_audit, after=after_audit)
    return True


def deactivate_user(session: Session, user: User, *, agent: Agent | None = None) -> bool:
    """Close an account, end its sessions and revoke its live API tokens (audited); False when already inactive.

    Revoking (not only refusing tokens of an inactive account) keeps a reactivation from bringing old tokens back.
    """
    _not_oneself(user, agent, "id", "Vous ne pouvez pas désactiver votre propre compte.")
    if not user.active:
        return False
    user.active = False
    user.deactivated_at = utcnow()
    session.flush()
    end_sessions(session, user)
    revoked = api_tokens.revoke_all(session, user.id)
    after = {"active": False, "tokens_revoked": revoked}
    audit.record(session, agent, "user.deactivate", "user", user.id, before={"active": True}, after=after)
    return True


def reactivate_user(session: Session, user: User, *, agent: Agent | None = None) -> bool:
    """Open a closed account again (audited; its old tokens stay revoked); False when it was active."""
    if user.active:
        return False
    user.active = True
    user.deactivated_at = None
    session.flush()
    audit.record(session, agent, "user.reactivate", "user", user.id, before={"active": False}, after={"active": True})
    return True


def reset_password(session: Session, user: User, *, agent: Agent | None = None) -> str:
    """Give an agent a new generated password and end every session of theirs (audited); the clear password is
    returned once, for the administrator to hand over, and never recorded."""
    password = passwords.generate_password()
    user.password_hash = passwords.hash_password(password)
    session.flush()
    end_sessions(session, user)
    audit.record(session, agent, "user.password_reset", "user", user.id, after={"sessions_ended": True})
    return password


def set_squads(session: Session, user: User, slugs: Iterable[str], *, agent: Agent | None = None) -> bool:
    """Make an agent a member of exactly these squads (audited); False when nothing changed."""
    wanted = {squad.id: squad for squad in squads_by_slug(session, slugs)}
    current = {squad.id: squad for squad in user_squads(session, user.id)}
    if wanted.keys() == current.keys():
        return False
    for squad_id in current.keys() - wanted.keys():
        session.delete(session.get(SquadMember, (squad_id, user.id)))
    for squad_id in wanted.keys() - current.keys():
        session.add(SquadMember(squad_id=squad_id, user_id=user.id))
    session.flush()
    before, after = sorted(s.slug for s in current.values()), sorted(s.slug for s in wanted.values())
    audit.record(session, agent, "user.squads", "user", user.id, before={"squads": before}, after={"squads": after})
    return True


def all_squads(session: Session) -> list[Squad]:
    """Every squad, by name (what an account may be a member of)."""
    return list(session.scalars(select(Squad).order_by(Squad.name)))


def squads_by_user(session: Session) -> dict[int, list[Squad]]:
    """Every agent's squads, by name (one query, for the list of accounts)."""
    stmt = select(SquadMember.user_id, Squad).join(Squad, Squad.id == SquadMember.squad_id).order_by(Squad.name)
    found: dict[int, list[Squad]] = {}
    for user_id, squad in session.execute(stmt):
        found.setdefault(user_id, []).append(squad)
    return found


# --- a squad's members ------------------------------------------------------------------------------------------


def add_member(session: Session, squad: Squad, email: str, *, agent: Agent | None = None) -> User:
    """Add an existing active agent to a squad, by email (audited on the squad); ValidationFailed names the field."""
    user = find_user(session, email)
    if user is None or not user.active:
        raise _invalid("email", f"Aucun compte actif à l'adresse {normalise_email(email)} : créez d'abord le compte.")
    if session.get(SquadMember, (squad.id, user.id)) is not None:
        raise _invalid("email", f"{user.email} fait déjà partie de la start-up d'État.")
    session.add(SquadMember(squad_id=squad.id, user_id=user.id))
    session.flush()
    after = {"user_id": user.id, "email": user.email}
    audit.record(session, agent, "squad.member_add", "squad", squad.id, after=after)
    return user


def remove_member(session: Session, squad: Squad, user_id: int, *, agent: Agent | None = None) -> User:
    """Take an agent out of a squad (audited on the squad); NotFoundError when they were not in it."""
    membership = session.get(SquadMember, (squad.id, user_id))
    if membership is None:
        raise NotFoundError("Cet agent ne fait pas partie de la start-up d'État.")
    user = user_by_id(session, user_id)
    session.delete(membership)
    session.flush()
    before = {"user_id": user.id, "email": user.email}
    audit.record(session, agent, "squad.member_remove", "squad", squad.id, before=before)
    return user


def _not_oneself(user: User, agent: Agent | None, field: str, message: str) -> None:
    """An administrator cannot lock themself out (their own account, their own admin role)."""
    if agent is not None and agent.user_id == user.id:
        raise _invalid(field, message)


def _invalid(field: str, message: str) -> ValidationFailed:
    """A 422 whose summary is the field's own message (the command line shows the summary, a form the field's)."""
    return ValidationFailed(message, errors={field: [message]})
