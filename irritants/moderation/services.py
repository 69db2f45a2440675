"""Moderation of report texts: reports held at intake (``intake/moderation.py`` decides which) or hidden after
abuse flags, published or rejected by a moderator; abuse flags from citizens. Above clusters: a moderator's scope
is the squads of the irritants, and masking a passage scrubs it from its irritant's label and keywords. Services
never commit: the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.audit.models import Event
from irritants.auth import policy
from irritants.auth.exceptions import StaleObject, raise_for
from irritants.auth.policy import Agent
from irritants.clusters.models import Cluster
from irritants.db import UTCDateTime, utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.intake.models import AbuseFlag, Moderation, Report
from irritants.intake.redaction import finding_kinds, redact
from irritants.moderation import masking
from irritants.paging import Page, ordered, paginate

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


def reason_labels(reasons: list[str] | None) -> list[tuple[str, str]]:
    """(code, French label) of each reason, for badges."""
    return [(code, REASON_LABELS.get(code, code)) for code in reasons or []]


# What the moderation queue may be sorted by (the API's ``sort``).
PENDING_SORTS = ("created_at", "abuse_flags")


def pending_reports(
    session: Session, agent: Agent, *, page: int = 1, page_size: int = 20, sort: str = "created_at"
) -> Page[Report]:
    """Reports awaiting moderation that ``agent`` may moderate, in the ``sort`` order (oldest first by default), one
    page of them."""
    conditions = [Report.moderation == Moderation.PENDING]
    squads = policy.moderation_scope(agent)
    if squads is not None:
        # Same rule as policy.decide: reports in no irritant, irritants with no squad, and the agent's squads'.
        conditions.append(or_(Cluster.id.is_(None), Cluster.squad_id.is_(None), Cluster.squad_id.in_(squads)))
    scoped = select(Report).outerjoin(Cluster, Cluster.id == Report.cluster_id).where(*conditions)
    columns = {"created_at": Report.created_at, "abuse_flags": (Report.abuse_flags, Report.created_at)}
    return paginate(session, ordered(scoped, sort, columns, tiebreak=Report.id), page=page, page_size=page_size)


def check_may_moderate(session: Session, agent: Agent, report: Report) -> None:
    """Raise the policy's refusal when ``agent`` may not moderate this report (its irritant's squad)."""
    cluster = session.get(Cluster, report.cluster_id) if report.cluster_id is not None else None
    decision = policy.decide(agent, policy.Action.MODERATE, cluster)
    if not decision:
        raise_for(decision)


def decide(
    session: Session,
    agent: Agent,
    report_id: int,
    decision: Decision,
    *,
    expected: Moderation = Moderation.PENDING,
    reason: str | None = None,
    masks: list[str] | None = None,
) -> Report:
    """Publish (with ``masks``: every occurrence of those passages replaced by « [masqué] ») or reject a held
    report, with one audit event; AlreadyDecided if its state changed meanwhile.

    A masked report's ``description`` becomes the masked text at once, so that every page, export, label and keyword
    drawn from it is safe; the original is kept apart for the retention period (``purge_masked_originals``). The
    audit event records how many passages were masked, never the passages: events are kept forever.
    """
    report = report_to_moderate(session, agent, report_id)
    before = {"moderation": report.moderation, "moderation_reasons": list(report.moderation_reasons or [])}
    if report.moderation != expected or expected != Moderation.PENDING:
        raise AlreadyDecided(_already(report.moderation))
    masks = masks or []
    if masks and decision != Decision.PUBLISH:
        raise ValidationFailed(errors={"mask": ["On ne masque des passages que pour publier le reste du texte."]})
    masking.check_passages(report.description, masks)
    outcome = _OUTCOME[decision]
    # Compare-and-set in the database: of two moderators deciding at once, only the first changes the row.
    values: dict[str, Any] = {"moderation": outcome}
    conditions = [Report.id == report_id, Report.moderation == expected]
    if outcome == Moderation.PUBLISHED:
        values["abuse_flags"] = 0  # a new series of flags is needed to hide it again
    if masks:
        conditions.append(Report.description == report.description)  # the text the passages were checked in
        values["description"] = masking.mask_text(report.description, masks)
        # Masked again after abuse flags: the first original is the one kept, for the first period.
        values["original_description"] = func.coalesce(Report.original_description, Report.description)
        values["masked_at"] = func.coalesce(Report.masked_at, literal(utcnow(), UTCDateTime()))
    changed = session.execute(
        update(Report).where(*conditions).values(**values).execution_options(synchronize_session=False)
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
        after={
            "moderation": outcome,
            "moderation_reasons": before["moderation_reasons"],
            **({"masked_passages": len(masks)} if masks else {}),
        },
        reason=reason,
    )
    if masks and report.cluster_id is not None:
        _scrub_cluster(session, report.cluster_id, masks)
    return report


def _scrub_cluster(session: Session, cluster_id: int, masks: list[str]) -> None:
    # The irritant's label and keywords are public and may have been drawn from this report's text before it was
    # masked: the passages leave them too (the ORM bumps the irritant's version, so no stale edit brings them back).
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        return
    label = masking.mask_text(cluster.label or "", masks)
    keywords = masking.scrub_keywords(list(cluster.keywords or []), masks)
    if label != (cluster.label or ""):
        cluster.label = label
    if keywords != list(cluster.keywords or []):
        cluster.keywords = keywords
    session.flush()


def report_to_moderate(session: Session, agent: Agent, report_id: int) -> Report:
    """A report ``agent`` may moderate; NotFoundError, or the policy's refusal (another squad's irritant)."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFoundError("Ce signalement n'existe pas.")
    check_may_moderate(session, agent, report)
    return report


def published_text(report: Report, masks: list[str]) -> str:
    """The text the public would see once ``report`` is published with these passages masked (a preview)."""
    masking.check_passages(report.description, masks)
    return redact(masking.mask_text(report.description, masks))


def purge_masked_originals(session: Session, *, cutoff: dt.datetime) -> int:
    """Delete the original texts of reports masked before ``cutoff`` (the retention period), with one audit event
    for the run; only the masked text, the one published, remains. Returns how many."""
    deleted = (
        session.execute(
            update(Report)
            .where(Report.original_description.is_not(None), Report.masked_at <= cutoff)
            .values(original_description=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    if deleted:
        audit.record(
            session,
            None,
            "report.originals_purged",
            "report",
            None,
            after={"deleted": deleted},
            reason=f"Durée de conservation écoulée (passages masqués avant le {cutoff.date().isoformat()}).",
        )
    return deleted


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
