"""Report submission and lookup. Services never commit: the caller owns the transaction."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from irritants.db import utcnow
from irritants.errors import IdempotencyConflict, NotFoundError, ValidationFailed
from irritants.intake.models import Report, ReportContact, Source
from irritants.referential import services as referential

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud over the phone
TOKEN_MAX_LENGTH = 64
_MAX_REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class Submission:
    """Outcome of a submission: the report, its tracking token, and whether it is new."""

    report: Report
    tracking_token: str
    created: bool


def new_reference() -> str:
    """A short, readable, non-sequential public reference such as ``K7M-2QX-9PA``."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(9))
    return f"{chars[:3]}-{chars[3:6]}-{chars[6:]}"


def derive_tracking_token(secret_key: str, token_seed: str) -> str:
    """The secret tracking token (256 bits) derived from the report's random seed and the app secret."""
    digest = hmac.new(secret_key.encode(), f"tracking-token:{token_seed}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """What is stored to find a report by its token without storing the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def email_hmac(secret_key: str, email: str) -> str:
    """Keyed HMAC of a normalised email, for de-duplication without reading addresses."""
    key = hashlib.sha256(f"email-hmac:{secret_key}".encode()).digest()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def fingerprint(data: dict[str, Any]) -> str:
    """Stable hash of validated input, to tell an honest retry from a reused idempotency key."""
    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def resolve_references(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Map slugs/codes of validated input to reference rows, or raise ValidationFailed with per-field messages."""
    errors: dict[str, list[str]] = {}
    administration = referential.administration_by_slug(session, data["administration"])
    if administration is None:
        errors["administration"] = ["Administration inconnue : choisissez-en une dans la liste."]
    procedure = None
    if data.get("procedure"):
        if administration is not None:
            procedure = referential.procedure_by_slug(session, administration.id, data["procedure"])
        if procedure is None and administration is not None:
            errors["procedure"] = [f"Cette démarche n'existe pas pour « {administration.name} »."]
    territory = referential.territory_by_code(session, data["territory"])
    if territory is None:
        errors["territory"] = ["Département inconnu."]
    channel = referential.channel_by_code(session, data["channel"])
    if channel is None:
        errors["channel"] = ["Canal inconnu : choisissez-en un dans la liste."]
    if errors:
        raise ValidationFailed("Certains champs sont invalides.", errors=errors)
    return {"administration": administration, "procedure": procedure, "territory": territory, "channel": channel}


def build_report(
    data: dict[str, Any],
    refs: dict[str, Any],
    *,
    source: Source,
    secret_key: str,
    retention_days: int,
    created_at: dt.datetime | None = None,
) -> Report:
    """A new, unsaved Report (and contact, if consented) from validated data and resolved references."""
    now = created_at or utcnow()
    seed = secrets.token_hex(16)
    report = Report(
        reference=new_reference(),
        token_seed=seed,
        tracking_token_hash=hash_token(derive_tracking_token(secret_key, seed)),
        created_at=now,
        description=data["description"],
        administration=refs["administration"],
        procedure=refs["procedure"],
        territory=refs["territory"],
        channel=refs["channel"],
        severity=data["severity"],
        occurred_on=data.get("occurred_on"),
        assisted=bool(data.get("assisted")),
        source=source,
    )
    if data.get("email") and data.get("contact_consent"):
        report.contact = ReportContact(
            email=data["email"],
            email_hmac=email_hmac(secret_key, data["email"]),
            consent_at=now,
            purge_after=now + dt.timedelta(days=retention_days),
        )
    return report


def find_by_idempotency_key(session: Session, key: str) -> Report | None:
    """The report created earlier with this idempotency key, if any."""
    return session.scalar(select(Report).where(Report.idempotency_key == key))


def submit_report(
    session: Session,
    data: dict[str, Any],
    *,
    source: Source,
    secret_key: str,
    retention_days: int = 365,
    idempotency_key: str | None = None,
) -> Submission:
    """Validate references and add a report to the session (flushed, not committed); replays are returned as is."""
    request_fp = fingerprint(data)
    if idempotency_key:
        existing = find_by_idempotency_key(session, idempotency_key)
        if existing is not None:
            return _replay(existing, request_fp, secret_key)
    refs = resolve_references(session, data)
    for _attempt in range(_MAX_REFERENCE_ATTEMPTS):
        report = build_report(data, refs, source=source, secret_key=secret_key, retention_days=retention_days)
        report.idempotency_key = idempotency_key
        report.request_fingerprint = request_fp if idempotency_key else None
        try:
            with session.begin_nested():
                session.add(report)
        except IntegrityError:
            # A concurrent request with the same key committed first: answer with its report.
            if idempotency_key:
                existing = find_by_idempotency_key(session, idempotency_key)
                if existing is not None:
                    return _replay(existing, request_fp, secret_key)
            continue  # reference collision: draw another one
        return Submission(report, derive_tracking_token(secret_key, report.token_seed), created=True)
    raise RuntimeError("could not allocate a unique report reference")


def _replay(existing: Report, request_fp: str, secret_key: str) -> Submission:
    if existing.request_fingerprint and existing.request_fingerprint != request_fp:
        raise IdempotencyConflict(
            "Cette clé d'idempotence a déjà servi pour un signalement différent : utilisez une nouvelle clé."
        )
    return Submission(existing, derive_tracking_token(secret_key, existing.token_seed), created=False)


def report_by_token(session: Session, token: str) -> Report:
    """The report whose secret tracking token is ``token``, or NotFoundError."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise NotFoundError("Aucun signalement ne correspond à ce lien de suivi.")
    report = session.scalar(select(Report).where(Report.tracking_token_hash == hash_token(token)))
    if report is None:
        raise NotFoundError("Aucun signalement ne correspond à ce lien de suivi.")
    return report


def purge_expired_contacts(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete follow-up emails past their retention date; returns how many were purged."""
    now = now or utcnow()
    expired = session.scalars(select(ReportContact).where(ReportContact.purge_after <= now)).all()
    for contact in expired:
        session.delete(contact)
    session.flush()
    return len(expired)
