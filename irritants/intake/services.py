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

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from irritants import events
from irritants.db import utcnow
from irritants.errors import IdempotencyConflict, NotFoundError, ValidationFailed
from irritants.intake.models import Report, ReportContact, Source
from irritants.intake.moderation import initial_moderation
from irritants.referential import cache
from irritants.status import StatusKind
from irritants.tokens import email_hmac, hash_token

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud over the phone
TOKEN_MAX_LENGTH = 64
_MAX_REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class Submission:
    """Outcome of a submission: the new (or replayed) report's public identifiers."""

    report_id: int
    reference: str
    tracking_token: str
    status: StatusKind
    created_at: dt.datetime
    created: bool


def new_reference() -> str:
    """A short, readable, non-sequential public reference such as ``K7M-2QX-9PA``."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(9))
    return f"{chars[:3]}-{chars[3:6]}-{chars[6:]}"


def derive_tracking_token(secret_key: str, token_seed: str) -> str:
    """The secret tracking token (256 bits) derived from the report's random seed and the app secret."""
    digest = hmac.new(secret_key.encode(), f"tracking-token:{token_seed}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def fingerprint(data: dict[str, Any]) -> str:
    """Stable hash of validated input, to tell an honest retry from a reused idempotency key."""
    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reference_errors(session: Session, data: dict[str, Any]) -> dict[str, list[str]]:
    """Unknown administration, démarche, département or canal among what was sent, as per-field French messages.

    Fields missing from ``data`` (absent, or already refused by the schema) are skipped, so the schema can report
    these together with its own errors in one answer.
    """
    ref = cache.referential(session)
    errors: dict[str, list[str]] = {}
    admin = ref.administrations.get(data["administration"]) if isinstance(data.get("administration"), str) else None
    if isinstance(data.get("administration"), str) and admin is None:
        errors["administration"] = ["Administration inconnue : choisissez-en une dans la liste."]
    if data.get("procedure") and admin is not None and (admin[0], data["procedure"]) not in ref.procedures:
        errors["procedure"] = [f"Cette démarche n'existe pas pour « {admin[1]} »."]
    territory = data.get("territory")
    if isinstance(territory, str) and territory.strip().upper() not in ref.territories:
        errors["territory"] = ["Département inconnu."]
    if isinstance(data.get("channel"), str) and data["channel"] not in ref.channels:
        errors["channel"] = ["Canal inconnu : choisissez-en un dans la liste."]
    return errors


def resolve_references(session: Session, data: dict[str, Any]) -> dict[str, int | str | None]:
    """Map slugs/codes of validated input to reference ids, or raise ValidationFailed with per-field messages."""
    errors = reference_errors(session, data)
    if errors:
        raise ValidationFailed("Certains champs sont invalides.", errors=errors)
    ref = cache.referential(session)
    admin_id = ref.administrations[data["administration"]][0]
    return {
        "administration_id": admin_id,
        "procedure_id": ref.procedures.get((admin_id, data["procedure"])) if data.get("procedure") else None,
        "territory_code": data["territory"],
        "channel_code": data["channel"],
    }


def report_values(
    data: dict[str, Any], refs: dict[str, Any], *, source: Source, secret_key: str, now: dt.datetime
) -> dict[str, Any]:
    """Column values of a new report from validated data and resolved references."""
    seed = secrets.token_hex(16)
    return {
        "reference": new_reference(),
        "token_seed": seed,
        "tracking_token_hash": hash_token(derive_tracking_token(secret_key, seed)),
        "created_at": now,
        "description": data["description"],
        **refs,
        "severity": data["severity"],
        "occurred_on": data.get("occurred_on"),
        "assisted": bool(data.get("assisted")),
        "source": source,
        "cluster_locked": False,
        # Held for a moderator when personal data is detected; the submission itself is never refused.
        **initial_moderation(data["description"]),
    }


def contact_values(
    data: dict[str, Any], *, secret_key: str, retention_days: int, now: dt.datetime
) -> dict[str, Any] | None:
    """Column values of the follow-up contact, only with an email and explicit consent."""
    if not (data.get("email") and data.get("contact_consent")):
        return None
    return {
        "email": data["email"],
        "email_hmac": email_hmac(secret_key, data["email"]),
        "consent_at": now,
        "purge_after": now + dt.timedelta(days=retention_days),
    }


_INSERTS: dict[tuple[str, bool], Any] = {}


def _insert_statement(session: Session, with_key: bool) -> Any:
    # Built once per dialect: executing it with a parameter dict reuses SQLAlchemy's compiled form.
    dialect = session.get_bind().dialect.name
    cached = _INSERTS.get((dialect, with_key))
    if cached is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        stmt = dialect_insert(Report.__table__)
        if with_key:
            stmt = stmt.on_conflict_do_nothing(index_elements=["idempotency_key"])
        cached = _INSERTS[(dialect, with_key)] = stmt.returning(Report.__table__.c.id)
    return cached


def submit_report(
    session: Session,
    data: dict[str, Any],
    *,
    source: Source,
    secret_key: str,
    retention_days: int = 365,
    idempotency_key: str | None = None,
    person_key: str | None = None,
) -> Submission:
    """Insert a report (not committed; it must be the transaction's first write); replays are returned as is.

    One INSERT … ON CONFLICT (idempotency_key) DO NOTHING keeps the write lock short and settles
    concurrent retries in the database: only on conflict is the earlier report read back.
    """
    request_fp = fingerprint(data)
    refs = resolve_references(session, data)
    now = utcnow()
    for _attempt in range(_MAX_REFERENCE_ATTEMPTS):
        values = report_values(data, refs, source=source, secret_key=secret_key, now=now)
        values.update(
            idempotency_key=idempotency_key,
            request_fingerprint=request_fp if idempotency_key else None,
            person_key=person_key,
        )
        try:
            # Core on the session's connection: the ORM adds nothing to one INSERT but time.
            report_id = session.connection().execute(_insert_statement(session, bool(idempotency_key)), values).scalar()
        except IntegrityError:
            # A reference collision (about one in 10^13): nothing else was written yet, start again.
            session.rollback()
            continue
        if report_id is None:
            return _replay(session, idempotency_key, request_fp, secret_key)
        contact = contact_values(data, secret_key=secret_key, retention_days=retention_days, now=now)
        if contact:
            session.connection().execute(insert(ReportContact.__table__).values(report_id=report_id, **contact))
        token = derive_tracking_token(secret_key, values["token_seed"])
        events.report_submitted.send(session, report_id=report_id, reference=values["reference"], tracking_token=token)
        return Submission(report_id, values["reference"], token, StatusKind.NEW, now, created=True)
    raise RuntimeError("could not allocate a unique report reference")


def _replay(session: Session, key: str | None, request_fp: str, secret_key: str) -> Submission:
    table = Report.__table__.c
    row = session.execute(
        select(
            table.id, table.reference, table.token_seed, table.status, table.created_at, table.request_fingerprint
        ).where(table.idempotency_key == key)
    ).one()
    if row.request_fingerprint and row.request_fingerprint != request_fp:
        raise IdempotencyConflict(
            "Cette clé d'idempotence a déjà servi pour un signalement différent : utilisez une nouvelle clé."
        )
    created_at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return Submission(
        row.id,
        row.reference,
        derive_tracking_token(secret_key, row.token_seed),
        StatusKind(row.status),
        created_at,
        created=False,
    )


def report_by_token(session: Session, token: str) -> Report:
    """The report whose secret tracking token is ``token``, or NotFoundError."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise NotFoundError("Aucun signalement ne correspond à ce lien de suivi.")
    report = session.scalar(select(Report).where(Report.tracking_token_hash == hash_token(token)))
    if report is None:
        raise NotFoundError("Aucun signalement ne correspond à ce lien de suivi.")
    return report
