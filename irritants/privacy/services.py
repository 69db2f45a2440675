"""Personal data over time: purge of contact data past retention, and erasure of one citizen on request.
Services never commit: the CLI command owns the transaction."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.clusters.models import Cluster, Support, SupportContact
from irritants.clusters.services import refresh_one
from irritants.conversations.models import ReportMessage
from irritants.intake.models import AbuseFlag, Report, ReportContact
from irritants.outbox import services as outbox
from irritants.settings import RankingSettings
from irritants.status import CLOSED_STATUSES
from irritants.tokens import email_hmac
from irritants.triage.workflow import recompute_centroid

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
    """Contacts to delete: those past their own date, and those of irritants closed for long enough; of reports (by
    report id) and of « moi aussi » (by support id)."""

    expired: list[int]
    closed: list[int]
    cutoff: dt.datetime
    supports_expired: list[int] = field(default_factory=list)
    supports_closed: list[int] = field(default_factory=list)

    @property
    def expired_count(self) -> int:
        return len(self.expired) + len(self.supports_expired)

    @property
    def closed_count(self) -> int:
        return len(self.closed) + len(self.supports_closed)

    @property
    def total(self) -> int:
        return self.expired_count + self.closed_count


def plan_purge(session: Session, *, now: dt.datetime, retention_months: int) -> PurgePlan:
    """Which contact rows (of reports by report id, of « moi aussi » by support id) a purge at ``now`` deletes;
    reads only."""
    cutoff = months_before(now, retention_months)
    reports = _due_contacts(session, ReportContact.report_id, Report, now=now, cutoff=cutoff)
    supports = _due_contacts(session, SupportContact.support_id, Support, now=now, cutoff=cutoff)
    return PurgePlan(*reports, cutoff, *supports)


def _due_contacts(
    session: Session, key: Any, holder: type[Report] | type[Support], *, now: dt.datetime, cutoff: dt.datetime
) -> tuple[list[int], list[int]]:
    """Contacts (by ``key``) past their own date, and those whose irritant (through ``holder``: their report or
    support) closed before ``cutoff``."""
    contact = key.class_
    expired = list(session.scalars(select(key).where(contact.purge_after <= now).order_by(key)))
    closed = list(
        session.scalars(
            select(key)
            .join(holder, holder.id == key)
            .join(Cluster, Cluster.id == holder.cluster_id)
            .where(
                contact.purge_after > now,
                Cluster.status.in_(sorted(CLOSED_STATUSES)),
                Cluster.closed_at.is_not(None),
                Cluster.closed_at <= cutoff,
            )
            .order_by(key)
        )
    )
    return expired, closed


def purge(session: Session, plan: PurgePlan, *, progress: Callable[[int], object] | None = None) -> int:
    """Delete the planned contact rows in batches, and the unsent mails of the reports and of the addresses no
    contact holds any more, with one audit event for the run; returns how many contacts."""
    deleted = 0
    addresses: dict[str, str] = {}
    for key, ids in (
        (ReportContact.report_id, plan.expired + plan.closed),
        (SupportContact.support_id, plan.supports_expired + plan.supports_closed),
    ):
        model = key.class_
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            addresses.update(session.execute(select(model.email_hmac, model.email).where(key.in_(batch))).all())
            deleted += session.execute(
                delete(model).where(key.in_(batch)).execution_options(synchronize_session=False)
            ).rowcount
            if progress is not None:
                progress(len(batch))
    # Their mails, sent or still to send, go with the address: about the reports, and to an address no contact holds.
    outbox.forget_reports(session, plan.expired + plan.closed)
    for email_key, email in addresses.items():
        if not _still_held(session, email_key):
            outbox.forget_address(session, email, recipient_key=email_key)
    if deleted:
        audit.record(
            session,
            None,
            "contacts.purged",
            "report_contacts",
            None,
            after={"deleted": deleted, "expired": plan.expired_count, "closed": plan.closed_count},
            reason=f"Durée de conservation écoulée (irritants clos avant le {plan.cutoff.date().isoformat()}).",
        )
    return deleted


def _still_held(session: Session, email_key: str) -> bool:
    """Whether a contact (of a report or a « moi aussi ») still holds this address."""
    return any(
        session.scalar(select(model.email_hmac).where(model.email_hmac == email_key).limit(1)) is not None
        for model in (ReportContact, SupportContact)
    )


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
    contacts: int = 0  # addresses: of reports and of « moi aussi »
    supports: int = 0
    # « Moi aussi » left with this address: deleted whatever browser they came from.
    support_ids: list[int] = field(default_factory=list)
    abuse_flags: int = 0
    cluster_ids: set[int] = field(default_factory=set)
    messages: int = 0  # mails of the outbox
    # Messages of the reports' conversations with the team (questions to the person, their replies and details).
    conversation: int = 0


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
    found.cluster_ids = {row.cluster_id for row in rows if row.cluster_id is not None}
    if found.report_ids:
        found.conversation = (
            session.scalar(select(func.count(ReportMessage.id)).where(ReportMessage.report_id.in_(found.report_ids)))
            or 0
        )
    given = session.execute(
        select(Support.id, Support.cluster_id)
        .join(SupportContact, SupportContact.support_id == Support.id)
        .where(SupportContact.email_hmac == wanted)
        .order_by(Support.id)
    ).all()
    found.support_ids = [row.id for row in given]
    found.contacts = len(rows) + len(given)
    found.supports = len(given)
    found.cluster_ids |= {row.cluster_id for row in given}
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
        found.supports += len({s.id for s in supports} - set(found.support_ids))
        found.cluster_ids |= {s.cluster_id for s in supports}
        found.abuse_flags = len(session.scalars(select(AbuseFlag.id).where(AbuseFlag.person_key.in_(keys))).all())
    return found, keys


def erase_citizen(session: Session, secret_key: str, email: str) -> Erasure:
    """Delete a citizen's contact rows, supports, flags and conversations; anonymise their reports but keep them for
    statistics.

    Administration, territory, severity, dates and cluster stay; the text, the person key and every key that
    could link the report to a request are removed. One audit event per report, without the email.
    """
    found, keys = plan_erasure(session, secret_key, email)
    # Mails to the address or about its reports, sent or still to send (a « moi aussi » mail needs no report).
    found.messages = outbox.forget_address(session, email, recipient_key=email_hmac(secret_key, email))
    found.messages += outbox.forget_reports(session, found.report_ids)
    if found.support_ids:
        session.execute(
            delete(Support).where(Support.id.in_(found.support_ids)).execution_options(synchronize_session=False)
        )
    if not found.report_ids:
        session.expire_all()
        return found
    session.execute(
        delete(ReportContact)
        .where(ReportContact.report_id.in_(found.report_ids))
        .execution_options(synchronize_session=False)
    )
    # The whole conversation goes: the person's replies are their words, and the team's questions quote or answer
    # them. The report stays, anonymised, for the statistics.
    session.execute(
        delete(ReportMessage)
        .where(ReportMessage.report_id.in_(found.report_ids))
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
            after={"contact": False, "description": ERASED_TEXT, "person_key": None, "conversation": 0},
            reason=ERASURE_REASON,
        )
    session.expire_all()
    return found


WITHDRAWAL_REASON = "Signalement retiré par la personne qui l’avait fait (depuis sa page de suivi)"


def withdraw_report(session: Session, report_id: int, *, ranking: RankingSettings) -> int | None:
    """Delete a report at its author's request, with everything hanging on it (address, conversation, vector):
    it leaves every count, and its irritant is re-scored. Returns the irritant it was in (None: in none yet).

    Erasure (``erase_citizen``) keeps an anonymised report for the statistics; a withdrawal means the person no
    longer stands by it, so nothing of it stays but one audit event without personal data.
    """
    report = session.get(Report, report_id)
    if report is None:
        return None
    cluster_id = report.cluster_id
    audit.record(
        session,
        None,
        "report.withdrawn",
        "report",
        report.id,
        cluster_id=cluster_id,
        before={"cluster_id": cluster_id, "contact": report.contact is not None},
        reason=WITHDRAWAL_REASON,
    )
    outbox.forget_report(session, report.id)  # its mails, sent or still to send
    session.execute(delete(Report).where(Report.id == report.id).execution_options(synchronize_session=False))
    session.expire_all()
    if cluster_id is not None:
        cluster = session.get(Cluster, cluster_id)
        if cluster is not None:
            if report_id in (cluster.excerpt_report_ids or []):
                cluster.excerpt_report_ids = [i for i in cluster.excerpt_report_ids if i != report_id]
            recompute_centroid(session, cluster)
        refresh_one(session, ranking, cluster_id)
    return cluster_id


def erase_contact(session: Session, report_id: int) -> bool:
    """Forget a report's follow-up address (the report stays as it is); False when it had none."""
    erased = session.execute(
        delete(ReportContact).where(ReportContact.report_id == report_id).execution_options(synchronize_session=False)
    ).rowcount
    if not erased:
        return False
    outbox.forget_report(session, report_id)  # the messages waiting for that address
    cluster_id = session.scalar(select(Report.cluster_id).where(Report.id == report_id))
    audit.record(
        session,
        None,
        "report.contact_erased",
        "report",
        report_id,
        cluster_id=cluster_id,
        before={"contact": True},
        after={"contact": False},
        reason=ERASURE_REASON,
    )
    session.expire_all()
    return True
