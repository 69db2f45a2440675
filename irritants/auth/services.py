"""Agents' sign-in and sessions: who is behind a session id, password and ProConnect sign-in, one's own password
change, ending every session of an agent (the caller commits).

Accounts (creation, roles, squads, deactivation, resets) are ``accounts.py``'s, API tokens ``api_tokens.py``'s and
the password rules ``passwords.py``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.auth import passwords
from irritants.auth.models import User
from irritants.auth.passwords import PASSWORD_MAX_LENGTH, password_problems
from irritants.auth.policy import Agent
from irritants.db import utcnow
from irritants.referential.models import Administration
from irritants.sanitize import clean_line
from irritants.squads.models import SquadMember

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
    administration = None
    if user.administration_id is not None:
        administration = session.scalar(select(Administration.slug).where(Administration.id == user.administration_id))
    return Agent(
        user_id=user.id,
        label=label,
        roles=frozenset(user.roles or []),
        squads=squads_of(session, user.id),
        token_name=token_name,
        administration=administration,
    )


def is_valid_email(email: str) -> bool:
    """A plausible address (one @, a dotted domain, no spaces); deliverability is not checked."""
    return len(email) <= 254 and bool(_EMAIL.match(email))


def find_user(session: Session, email: str) -> User | None:
    """The agent with this email (case-insensitive), active or not."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def end_sessions(session: Session, user: User) -> None:
    """End every login session of an agent, on every device (their session ids carry the old epoch)."""
    # An SQL increment: two simultaneous sign-outs must not compute the same next epoch.
    session.execute(update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1))
    session.refresh(user, ["session_epoch"])


def password_context_words(session: Session) -> list[str]:
    """The administrations' names, acronyms and slugs: words a password must not rest on (besides the service's)."""
    rows = session.execute(select(Administration.name, Administration.acronym, Administration.slug)).all()
    return [word for row in rows for word in row if word]


def new_password_errors(
    user: User,
    current: str,
    new: str,
    confirmation: str | None,
    *,
    min_length: int = 12,
    context_words: Iterable[str] = (),
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
        problems = password_problems(new, min_length=min_length, email=user.email, context_words=context_words)
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
