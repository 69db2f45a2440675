"""Personal data over time: purge of contact data past retention, and erasure of one citizen on request.
Services never commit: the CLI command owns the transaction."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.clusters.models import Cluster, Support
from irritants.intake.models import AbuseFlag, Report, ReportContact
from irritants.outbox import services as outbox
from irritants.status import CLOSED_STATUSES
from irritants.tokens import email_hmac

ERASED_TEXT = "[Texte supprimé à la demande de la personne qui l’avait écrit]"
ERASURE_REASON = "Effacement demandé par la personne (RGPD, article 17)"
_BATCH = 1000


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time ``months`` calendar months earlier (the last day of a shorter month)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PurgePlan:
    """Contacts to delete: those past their own date, and those of irritants closed for long enough."""

    expired: list[int]
    closed: list[int]
    cutoff: dt.datetime

    @property
    def total(self) -> int:
        return len(self.expired) + len(self.closed)


def plan_purge(session: Session, *, now: dt.datetime, retention_months: int) -> PurgePlan:
    """Which contact rows (by report id) a purge at ``now`` deletes; reads only."""
    cutoff = months_before(now, retention_months)
    expired = list(
        session.scalars(
            select(ReportContact.report_id).where(ReportContact.purge_after <= now).order_by(ReportContact.report_id)
        )
    )
    closed = list(
        session.scalars(
            select(ReportContact.report_id)
            .join(Report, Report.id == ReportContact.report_id)
            .join(Cluster, Cluster.id == Report.cluster_id)
            .where(
                ReportContact.purge_after > now,
                Cluster.status.in_(sorted(CLOSED_STATUSES)),
                Cluster.closed_at.is_not(None),
                Cluster.closed_at <= cutoff,
            )
            .order_by(ReportContact.report_id)
        )
    )
    return PurgePlan(expired, closed, cutoff)


def purge(session: Session, plan: PurgePlan, *, progress: Callable[[int], object] | None = None) -> int:
    """Delete the planned contact rows in batches, with one audit event for the run; returns how many."""
    ids = plan.expired + plan.closed
    deleted = 0
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        deleted += session.execute(
            delete(ReportContact).where(ReportContact.report_id.in_(batch)).execution_options(synchronize_session=False)
        ).rowcount
        outbox.forget_reports(session, batch)  # their mails, sent or still to send, go with the address
        if progress is not None:
            progress(len(batch))
    if deleted:
        audit.record(
            session,
            None,
            "contacts.purged",
            "report_contacts",
            None,
            after={"deleted": deleted, "expired": len(plan.expired), "closed": len(plan.closed)},
            reason=f"Durée de conservation écoulée (irritants clos avant le {plan.cutoff.date().isoformat()}).",
        )
    return deleted


def sources_to_erase(session: Session, *, now: dt.datetime, retention_days: int) -> int:
    """How many « moi aussi » and abuse flags still carry a network hash older than ``retention_days``; reads only."""
    cutoff = now - dt.timedelta(days=retention_days)
    return sum(
        session.scalar(
            select(func.count()).select_from(model).where(model.source_hash.is_not(None), model.created_at <= cutoff)
        )
        or 0
        for model in (Support, AbuseFlag)
    )


def erase_sources(session: Session, *, now: dt.datetime, retention_days: int) -> int:
    """Forget the network hash of « moi aussi » and abuse flags past ``retention_days`` (whether they counted stays:
    the counts do not change); returns how many rows were cleared."""
    cutoff = now - dt.timedelta(days=retention_days)
    cleared = 0
    for model in (Support, AbuseFlag):
        cleared += session.execute(
            update(model)
            .where(model.source_hash.is_not(None), model.created_at <= cutoff)
            .values(source_hash=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    return cleared


@dataclass
class Erasure:
    """What erasing one citizen finds (and, unless a dry run, changes)."""

    report_ids: list[int] = field(default_factory=list)
    contacts: int = 0
    supports: int = 0
    abuse_flags: int = 0
    cluster_ids: set[int] = field(default_factory=set)
    messages: int = 0


def plan_erasure(session: Session, secret_key: str, email: str) -> tuple[Erasure, set[str]]:
    """Find a citizen's reports through the keyed HMAC of their email, and the person keys safely linked to them."""
    found = Erasure()
    wanted = email_hmac(secret_key, email)
    rows = session.execute(
        select(Report.id, Report.person_key, Report.cluster_id)
        .join(ReportContact, ReportContact.report_id == Report.id)
        .where(ReportContact.email_hmac == wanted)
        .order_by(Report.id)
    ).all()
    found.report_ids = [row.id for row in rows]
    found.contacts = len(rows)
    found.cluster_ids = {row.cluster_id for row in rows if row.cluster_id is not None}
    keys = {row.person_key for row in rows if row.person_key}
    if keys:
        # A browser shared with others (a France Services desk, a family computer) links nobody: keys that also
        # sent reports followed by another address are left alone.
        shared = session.scalars(
            select(Report.person_key)
            .join(ReportContact, ReportContact.report_id == Report.id)
            .where(Report.person_key.in_(keys), ReportContact.email_hmac != wanted)
        )
        keys -= set(shared)
    if keys:
        supports = session.execute(select(Support.id, Support.cluster_id).where(Support.person_key.in_(keys))).all()
        found.supports = len(supports)
        found.cluster_ids |= {s.cluster_id for s in supports}
        found.abuse_flags = len(session.scalars(select(AbuseFlag.id).where(AbuseFlag.person_key.in_(keys))).all())
    return found, keys


def erase_citizen(session: Session, secret_key: str, email: str) -> Erasure:
    """Delete a citizen's contact rows, supports and flags; anonymise their reports but keep them for statistics.

    Administration, territory, severity, dates and cluster stay; the text, the person key and every key that
    could link the report to a request are removed. One audit event per report, without the email.
    """
    found, keys = plan_erasure(session, secret_key, email)
    # Mails to the address or about its reports, sent or still to send (a « moi aussi » mail needs no report).
    found.messages = outbox.forget_address(session, email, recipient_key=email_hmac(secret_key, email))
    found.messages += outbox.forget_reports(session, found.report_ids)
    if not found.report_ids:
        return found
    session.execute(
        delete(ReportContact)
        .where(ReportContact.report_id.in_(found.report_ids))
        .execution_options(synchronize_session=False)
    )
    if keys:
        session.execute(
            delete(Support).where(Support.person_key.in_(keys)).execution_options(synchronize_session=False)
        )
        session.execute(
            delete(AbuseFlag).where(AbuseFlag.person_key.in_(keys)).execution_options(synchronize_session=False)
        )
    clusters = dict(session.execute(select(Report.id, Report.cluster_id).where(Report.id.in_(found.report_ids))).all())
    session.execute(
        update(Report)
        .where(Report.id.in_(found.report_ids))
        .values(
            description=ERASED_TEXT,
            original_description=None,  # the text before a moderator masked passages: theirs too
            person_key=None,
            idempotency_key=None,
            request_fingerprint=None,
            external_key=None,
            # Re-clustering the placeholder text would move the report: it stays in its irritant.
            cluster_locked=True,
        )
        .execution_options(synchronize_session=False)
    )
    for report_id in found.report_ids:
        audit.record(
            session,
            None,
            "report.erased",
            "report",
            report_id,
            cluster_id=clusters.get(report_id),
            before={"contact": True},
            after={"contact": False, "description": ERASED_TEXT, "person_key": None},
            reason=ERASURE_REASON,
        )
    session.expire_all()
    return found
