"""Agents' accounts, sign-in and API tokens: lookups, creation, verification (the caller commits)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.auth import passwords
from irritants.auth.models import ROLE_LABELS, ApiToken, Role, User
from irritants.auth.policy import Agent
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.sanitize import clean_line
from irritants.squads.models import Squad, SquadMember
from irritants.tokens import hash_token

TOKEN_PREFIX = "irr_"  # noqa: S105 - a marker, not a secret
PASSWORD_MAX_LENGTH = 1024  # Argon2 hashes anything, but a megabyte "password" is only a way to burn CPU
# Writing last_used_at on every API call would turn each read into a write: once an hour is precise enough.
TOKEN_TOUCH_INTERVAL = dt.timedelta(hours=1)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalise_email(email: str) -> str:
    """Emails compared case-insensitively, without surrounding spaces."""
    return email.strip().lower()


def load_session_user(session: Session, session_id: str) -> User | None:
    """The active agent behind a login session id "<user id>.<epoch>"; None once the epoch moved on."""
    user_id, _, epoch = session_id.partition(".")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


def squads_of(session: Session, user_id: int) -> frozenset[int]:
    """Ids of the squads an agent belongs to."""
    return frozenset(session.scalars(select(SquadMember.squad_id).where(SquadMember.user_id == user_id)))


def agent_for(session: Session, user: User, *, token_name: str | None = None) -> Agent:
    """The policy's view of an agent."""
    label = f"{user.email} (jeton {token_name})" if token_name else user.email
    return Agent(
        user_id=user.id,
        label=label,
        roles=frozenset(user.roles or []),
        squads=squads_of(session, user.id),
        token_name=token_name,
    )


def create_token(session: Session, user: User, name: str, *, days: int | None = None) -> tuple[ApiToken, str]:
    """A new personal API token; the clear value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=clean_line(name)[:100] or "jeton",
        token_hash=hash_token(raw),  # as tracking tokens: 256-bit random, so a plain SHA-256 is enough
        prefix=raw[:12],
        created_at=now,
        expires_at=now + dt.timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    return token, raw


def user_for_token(session: Session, raw: str) -> tuple[User, ApiToken] | None:
    """The active agent owning a valid (not revoked, not expired) token, and the token."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return user, token


# --- accounts -------------------------------------------------------------------------------------------------


def is_valid_email(email: str) -> bool:
    """A plausible address (one @, a dotted domain, no spaces); deliverability is not checked."""
    return len(email) <= 254 and bool(_EMAIL.match(email))


def password_problems(password: str, *, min_length: int = 12, email: str | None = None) -> list[str]:
    """Why a new password is refused (French messages); empty when it is acceptable."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Le mot de passe doit contenir au moins {min_length} caractères.")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append("Le mot de passe ne doit pas dépasser 1 024 caractères.")
    if len(set(password)) < 5:
        problems.append("Le mot de passe est trop prévisible : variez davantage les caractères.")
    if email and normalise_email(email) in password.lower():
        problems.append("Le mot de passe ne doit pas contenir l'adresse électronique.")
    return problems


def generate_password() -> str:
    """A random password of 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)


def parse_roles(values: Iterable[str]) -> list[str]:
    """Known roles, deduplicated and sorted; ValidationFailed names any unknown one."""
    roles = sorted({value.strip().lower() for value in values if value.strip()})
    unknown = [role for role in roles if role not in {r.value for r in Role}]
    if unknown:
        known = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"Rôle inconnu : {', '.join(unknown)} (rôles possibles : {known}).")
    if not roles:
        raise ValidationFailed("Indiquez au moins un rôle.")
    return roles


def role_labels(roles: Iterable[str]) -> list[str]:
    """French names of roles, in the order of the Role enum."""
    held = set(roles)
    return [label for role, label in ROLE_LABELS.items() if role.value in held]


def find_user(session: Session, email: str) -> User | None:
    """The agent with this email (case-insensitive), active or not."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


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
        raise ValidationFailed(f"Start-up d'État inconnue : {', '.join(missing)}.")
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
    min_password_length: int = 12,
    agent: Agent | None = None,
) -> User:
    """A new active agent (password optional: ProConnect-only agents have none), with an audit event."""
    email = normalise_email(email)
    if not is_valid_email(email):
        raise ValidationFailed("Adresse électronique invalide : elle doit ressembler à prenom.nom@exemple.gouv.fr.")
    if find_user(session, email) is not None:
        raise ValidationFailed(f"Un compte existe déjà pour {email}.")
    role_list = parse_roles(roles)
    squads = squads_by_slug(session, squad_slugs)
    if password is not None:
        problems = password_problems(password, min_length=min_password_length, email=email)
        if problems:
            raise ValidationFailed(" ".join(problems))
    user = User(
        email=email,
        name=clean_line(name)[:200],
        roles=role_list,
        password_hash=passwords.hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    for squad in squads:
        session.add(SquadMember(squad_id=squad.id, user_id=user.id))
    session.flush()
    after = {**user.to_audit(), "squads": [squad.slug for squad in squads]}
    audit.record(session, agent, "user.create", "user", user.id, after=after)
    return user


def set_roles(session: Session, user: User, roles: Iterable[str], *, agent: Agent | None = None) -> bool:
    """Replace an agent's roles (audited); False when they already had exactly these."""
    role_list = parse_roles(roles)
    before = sorted(user.roles or [])
    if before == role_list:
        return False
    user.roles = role_list
    session.flush()
    audit.record(session, agent, "user.roles", "user", user.id, before={"roles": before}, after={"roles": role_list})
    return True


def end_sessions(session: Session, user: User) -> None:
    """End every login session of an agent, on every device (their session ids carry the old epoch)."""
    # An SQL increment: two simultaneous sign-outs must not compute the same next epoch.
    session.execute(update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1))
    session.refresh(user, ["session_epoch"])


def new_password_errors(
    user: User, current: str, new: str, confirmation: str | None, *, min_length: int = 12
) -> dict[str, list[str]]:
    """Field errors of a change of one's own password, before the current one is checked (French messages).

    ``confirmation`` is the new password typed a second time (None when the caller, as the API, sends it once).
    """
    errors: dict[str, list[str]] = {}
    if user.password_hash is None:
        errors["current_password"] = [
            "Votre compte se connecte avec ProConnect : il n'a pas de mot de passe propre à ce service."
        ]
        return errors
    if not current:
        errors["current_password"] = ["Saisissez votre mot de passe actuel."]
    elif len(current) > PASSWORD_MAX_LENGTH:
        errors["current_password"] = ["Le mot de passe ne peut pas dépasser 1 024 caractères."]
    if not new:
        errors["new_password"] = ["Saisissez un nouveau mot de passe."]
    else:
        problems = password_problems(new, min_length=min_length, email=user.email)
        if not problems and new == current:
            problems = ["Le nouveau mot de passe doit être différent du mot de passe actuel."]
        if problems:
            errors["new_password"] = problems
    if confirmation is not None and "new_password" not in errors and confirmation != new:
        errors["new_password_confirmation"] = ["Les deux saisies du nouveau mot de passe ne sont pas identiques."]
    return errors


def change_own_password(session: Session, user: User, new: str, *, agent: Agent | None = None) -> None:
    """Set an agent's new password (already checked: ``new_password_errors``, then the current one through the
    throttle), end every session of theirs (the caller signs the current one in again) and audit the change."""
    user.password_hash = passwords.hash_password(new)
    session.flush()
    end_sessions(session, user)
    # Neither hash is recorded: the event says who changed it and when.
    audit.record(session, agent, "user.password_change", "user", user.id, after={"sessions_ended": True})


def deactivate_user(session: Session, user: User, *, agent: Agent | None = None) -> bool:
    """Close an account and end its sessions (audited); False when it was already inactive."""
    if not user.active:
        return False
    user.active = False
    session.flush()
    end_sessions(session, user)
    audit.record(session, agent, "user.deactivate", "user", user.id, before={"active": True}, after={"active": False})
    return True


# --- sign-in ----------------------------------------------------------------------------------------------------


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active agent with this email and password, or None.

    Unknown, inactive and password-less accounts cost the same Argon2 work and get the same None as a wrong
    password, so that the answer never tells which addresses have an account. Throttling is throttle.py's.
    """
    user = find_user(session, email) if len(password) <= PASSWORD_MAX_LENGTH else None
    if user is None or not user.active or user.password_hash is None:
        passwords.verify_password(None, password)
        return None
    if not passwords.verify_password(user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    record_login(session, user)
    return user


def record_login(session: Session, user: User) -> None:
    """Bookkeeping of a successful sign-in (password or ProConnect)."""
    user.last_login_at = utcnow()
    session.flush()


def agent_for_oidc(
    session: Session, subject: str, email: str | None, email_verified: bool, *, name: str = ""
) -> User | None:
    """The active agent behind a ProConnect identity: by subject, else by verified email (then linked).

    Nobody is created here: an identity without an open account gets None, whatever the provider says.
    """
    user = session.scalar(select(User).where(User.oidc_subject == subject))
    if user is not None:
        return user if user.active else None
    if not email or not email_verified:
        return None
    user = find_user(session, email)
    if user is None or not user.active or user.oidc_subject is not None:
        return None
    user.oidc_subject = subject
    after: dict[str, str] = {"oidc": "ProConnect"}
    if not user.name and clean_line(name):
        # Accounts opened for ProConnect often have no name yet: take the one the provider vouches for.
        user.name = after["name"] = clean_line(name)[:200]
    session.flush()
    audit.record(session, None, "user.link_oidc", "user", user.id, after=after)
    return user


# --- API tokens -------------------------------------------------------------------------------------------------


def token_state(token: ApiToken, now: dt.datetime | None = None) -> str:
    """State of a token: "active", "expired" or "revoked"."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """An agent's tokens, newest first (revoked ones included: they are part of the record)."""
    stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    return list(session.scalars(stmt))


def issue_token(
    session: Session, user: User, name: str, *, days: int | None, agent: Agent | None = None
) -> tuple[ApiToken, str]:
    """``create_token`` plus its audit event; the clear token is returned once."""
    token, raw = create_token(session, user, name, days=days)
    after = {"name": token.name, "prefix": token.prefix, "user_id": user.id, "expires_at": token.expires_at}
    audit.record(session, agent, "token.create", "token", token.id, after=after)
    return token, raw


def revoke_token(session: Session, token_id: int, *, owner_id: int | None = None, agent: Agent | None = None) -> bool:
    """Revoke a token (audited); False when it was already revoked. With ``owner_id``, only that agent's."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFoundError("Jeton d'API introuvable.")
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    session.flush()
    audit.record(session, agent, "token.revoke", "token", token.id, before={"revoked": False}, after={"revoked": True})
    return True


def token_needs_touch(token: ApiToken, now: dt.datetime | None = None) -> bool:
    """True when ``last_used_at`` is unset or more than an hour old."""
    now = now or utcnow()
    return token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL


def touch_token(session: Session, token_id: int) -> None:
    """Note that a token was used (at most one write an hour, whatever the number of calls)."""
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_TOUCH_INTERVAL))
        .values(last_used_at=now)
    )
