"""Moderation of report texts: held at intake when personal data is detected, or hidden after abuse flags,
then published or rejected by a moderator. Services never commit: the caller owns the transaction."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.audit.models import Event
from irritants.auth.exceptions import StaleObject
from irritants.auth.policy import Agent
from irritants.errors import NotFoundError, ValidationFailed
from irritants.intake.models import AbuseFlag, Moderation, Report
from irritants.intake.redaction import finding_kinds, redact

ABUSE = "abuse"

# French badges of the reasons a report awaits moderation.
REASON_LABELS: dict[str, str] = {
    "email": "Courriel",
    "url": "Lien",
    "phone": "Téléphone",
    "nir": "N° de sécurité sociale",
    "iban": "IBAN",
    "bic": "BIC",
    "caf": "N° allocataire",
    "fiscal": "N° fiscal",
    "number": "Numéro",
    "address": "Adresse",
    "name": "Nom",
    ABUSE: "Signalé comme abusif",
}

# « Signaler un contenu abusif »: the reasons a citizen may pick (optional).
FLAG_REASONS: dict[str, str] = {
    "injurieux": "Propos injurieux",
    "donnees_personnelles": "Données personnelles",
    "hors_sujet": "Hors sujet",
    "autre": "Autre",
}

REASON_MAX_LENGTH = 500


class Decision(enum.StrEnum):
    """What a moderator decides about a held report."""

    PUBLISH = "publish"
    REJECT = "reject"


_OUTCOME = {Decision.PUBLISH: Moderation.PUBLISHED, Decision.REJECT: Moderation.REJECTED}
_EVENT = {Decision.PUBLISH: "report.published", Decision.REJECT: "report.rejected"}


class AlreadyDecided(StaleObject):
    """Another moderator decided on this report since the page was loaded."""

    title = "Déjà traité entre-temps"


@dataclass(frozen=True)
class FlagOutcome:
    """Result of an abuse flag: whether it counted toward hiding (``already``: this person had flagged it), and
    whether the report is now hidden."""

    counted: bool
    hidden: bool
    already: bool = False


def initial_moderation(text: str) -> dict[str, Any]:
    """Column values of a new report: held (PENDING, with the kinds found) if personal data is detected."""
    kinds = finding_kinds(text)
    return {"moderation": Moderation.PENDING if kinds else Moderation.PUBLISHED, "moderation_reasons": kinds}


def public_text(text: str, reasons: list[str] | None) -> str:
    """A report's text fit for public keywords: redacted when personal data was found in it at intake (a report a
    moderator published is still shown redacted), as is, without the cost of a scan, otherwise."""
    return redact(text) if reasons else text


def reason_labels(reasons: list[str] | None) -> list[tuple[str, str]]:
    """(code, French label) of each reason, for badges."""
    return [(code, REASON_LABELS.get(code, code)) for code in reasons or []]


def pending_reports(session: Session, *, page: int = 1, page_size: int = 20) -> tuple[list[Report], int]:
    """Reports awaiting moderation, oldest first; returns (page items, total)."""
    total = session.scalar(select(func.count()).select_from(Report).where(Report.moderation == Moderation.PENDING))
    items = session.scalars(
        select(Report)
        .where(Report.moderation == Moderation.PENDING)
        .order_by(Report.created_at, Report.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), total or 0


def parse_decision(decision: Any, expected: Any, reason: Any) -> tuple[Decision, Moderation, str | None]:
    """Validate a moderator's form or JSON input; French messages per field."""
    errors: dict[str, list[str]] = {}
    try:
        chosen = Decision(str(decision or ""))
    except ValueError:
        errors["decision"] = ["Choisissez « publier » ou « rejeter »."]
    try:
        state = Moderation(str(expected or Moderation.PENDING))
    except ValueError:
        errors["expected"] = ["État attendu inconnu : rechargez la page."]
    if reason is not None and not isinstance(reason, str):
        errors["reason"] = ["Le motif doit être un texte."]
    elif reason and len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [f"Le motif ne doit pas dépasser {REASON_MAX_LENGTH} caractères."]
    if errors:
        raise ValidationFailed("Certains champs sont invalides.", errors=errors)
    return chosen, state, (reason or "").strip() or None


def decide(
    session: Session,
    agent: Agent,
    report_id: int,
    decision: Decision,
    *,
    expected: Moderation = Moderation.PENDING,
    reason: str | None = None,
) -> Report:
    """Publish or reject a held report, with one audit event; AlreadyDecided if its state changed meanwhile."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFoundError("Ce signalement n'existe pas.")
    before = {"moderation": report.moderation, "moderation_reasons": list(report.moderation_reasons or [])}
    if report.moderation != expected or expected != Moderation.PENDING:
        raise AlreadyDecided(_already(report.moderation))
    outcome = _OUTCOME[decision]
    # Compare-and-set in the database: of two moderators deciding at once, only the first changes the row.
    values: dict[str, Any] = {"moderation": outcome}
    if outcome == Moderation.PUBLISHED:
        values["abuse_flags"] = 0  # a new series of flags is needed to hide it again
    changed = session.execute(
        update(Report)
        .where(Report.id == report_id, Report.moderation == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        session.expire(report)
        raise AlreadyDecided(_already(session.get(Report, report_id).moderation))  # type: ignore[union-attr]
    session.expire(report)
    audit.record(
        session,
        agent,
        _EVENT[decision],
        "report",
        report_id,
        cluster_id=report.cluster_id,
        before=before,
        after={"moderation": outcome, "moderation_reasons": before["moderation_reasons"]},
        reason=reason,
    )
    return report


def _already(state: Moderation) -> str:
    done = {Moderation.PUBLISHED: "publié", Moderation.REJECTED: "rejeté"}.get(state)
    if done:
        return f"Ce signalement a déjà été traité entre-temps (il est {done}) : votre décision n'a pas été appliquée."
    return "Ce signalement a changé entre-temps : rechargez la page avant de décider."


def flag_abuse(
    session: Session,
    report_id: int,
    person_key: str,
    *,
    reason: str | None,
    threshold: int,
    cluster_id: int | None = None,
    source: str | None = None,
) -> FlagOutcome:
    """Count one person's « contenu abusif » flag; at ``threshold`` distinct people the report is hidden. A flag
    counts only if no counted flag of this report since it was last published came from the same network
    (``source``): fresh browser ids from one network hide nothing."""
    if reason is not None and reason not in FLAG_REASONS:
        raise ValidationFailed(errors={"reason": ["Motif inconnu : choisissez un motif dans la liste."]})
    conditions = [Report.id == report_id, Report.moderation == Moderation.PUBLISHED]
    if cluster_id is not None:
        conditions.append(Report.cluster_id == cluster_id)
    if session.scalar(select(Report.id).where(*conditions)) is None:
        raise NotFoundError("Cet extrait n'existe pas ou n'est plus publié.")
    counted = source is None or not _source_counted(session, report_id, source)
    flag = AbuseFlag(report_id=report_id, person_key=person_key, reason=reason, source_hash=source, counted=counted)
    try:
        with session.begin_nested():
            session.add(flag)
    except IntegrityError:
        return FlagOutcome(counted=False, hidden=False, already=True)
    if not counted:
        return FlagOutcome(counted=False, hidden=False)
    # Incremented in the database: concurrent flags are all counted.
    flags = session.execute(
        update(Report)
        .where(Report.id == report_id)
        .values(abuse_flags=Report.abuse_flags + 1)
        .returning(Report.abuse_flags)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if flags < threshold:
        return FlagOutcome(counted=True, hidden=False)
    return FlagOutcome(counted=True, hidden=_hide(session, report_id, flags))


def _source_counted(session: Session, report_id: int, source: str) -> bool:
    """Whether a flag from this network already counted in the current series (a moderator's publication starts a
    new one, as it resets the count)."""
    # Serialise flags on one report (PostgreSQL row lock): two ids of one network at once must not both count.
    session.execute(select(Report.id).where(Report.id == report_id).with_for_update())
    since = session.scalar(
        select(func.max(Event.created_at)).where(
            Event.subject_type == "report", Event.subject_id == report_id, Event.action == _EVENT[Decision.PUBLISH]
        )
    )
    stmt = select(AbuseFlag.id).where(
        AbuseFlag.report_id == report_id, AbuseFlag.source_hash == source, AbuseFlag.counted.is_(True)
    )
    if since is not None:
        stmt = stmt.where(AbuseFlag.created_at > since)
    return session.scalar(stmt.limit(1)) is not None


def _hide(session: Session, report_id: int, flags: int) -> bool:
    report = session.get(Report, report_id)
    assert report is not None
    session.refresh(report)
    reasons = sorted(set(finding_kinds(report.description)) | {ABUSE})
    changed = session.execute(
        update(Report)
        .where(Report.id == report_id, Report.moderation == Moderation.PUBLISHED)
        .values(moderation=Moderation.PENDING, moderation_reasons=reasons)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return False  # already hidden by a concurrent flag: that one wrote the event
    session.expire(report)
    audit.record(
        session,
        None,
        "report.hidden",
        "report",
        report_id,
        cluster_id=report.cluster_id,
        before={"moderation": Moderation.PUBLISHED},
        after={"moderation": Moderation.PENDING, "moderation_reasons": reasons},
        reason=f"Signalé comme abusif par {flags} personnes.",
    )
    return True
