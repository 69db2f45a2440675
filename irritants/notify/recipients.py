"""Who hears of an irritant: the follow-up emails of its reports, of the reports of irritants merged into it or marked
its duplicates, and of the « moi aussi » left with an email; one recipient per address (email HMAC), however many
times that person reported or supported; never an address that unsubscribed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster, Support, SupportContact
from irritants.intake.models import Report, ReportContact


@dataclass
class Recipient:
    """One address and what it followed: its reports (id, reference, token seed for the tracking link) by irritant,
    and the irritants it said « moi aussi » to."""

    email: str
    email_hmac: str
    reports: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)
    supported: set[int] = field(default_factory=set)
    supports: dict[int, int] = field(default_factory=dict)
    """The « moi aussi » (support id) given to each irritant supported, for the links that answer for it."""

    @property
    def cluster_ids(self) -> set[int]:
        return set(self.reports) | self.supported


def family(session: Session, cluster_ids: Iterable[int]) -> dict[int, int]:
    """Each irritant of ``cluster_ids`` and every irritant merged into it or marked its duplicate (at any depth),
    mapped to the one of ``cluster_ids`` it leads to."""
    holder = {cid: cid for cid in cluster_ids}
    frontier = set(holder)
    while frontier:
        rows = session.execute(
            select(Cluster.id, Cluster.duplicate_of_id).where(Cluster.duplicate_of_id.in_(sorted(frontier)))
        ).all()
        frontier = {row.id for row in rows if row.id not in holder}
        for row in rows:
            holder.setdefault(row.id, holder[row.duplicate_of_id])
    return holder


def recipients(session: Session, cluster_ids: Iterable[int]) -> dict[str, Recipient]:
    """The subscribed addresses following any of ``cluster_ids``, by email HMAC (the latest address given wins)."""
    holder = family(session, cluster_ids)
    if not holder:
        return {}
    found: dict[str, Recipient] = {}
    reports = session.execute(
        select(
            ReportContact.email,
            ReportContact.email_hmac,
            Report.cluster_id,
            Report.id,
            Report.reference,
            Report.token_seed,
        )
        .join(Report, Report.id == ReportContact.report_id)
        .where(Report.cluster_id.in_(sorted(holder)), ReportContact.unsubscribed_at.is_(None))
        .order_by(Report.id)
    ).all()
    for row in reports:
        person = _recipient(found, row.email, row.email_hmac)
        person.reports.setdefault(holder[row.cluster_id], []).append((row.id, row.reference, row.token_seed))
    supports = session.execute(
        select(SupportContact.email, SupportContact.email_hmac, Support.cluster_id, Support.id)
        .join(Support, Support.id == SupportContact.support_id)
        .where(Support.cluster_id.in_(sorted(holder)), SupportContact.unsubscribed_at.is_(None))
        .order_by(SupportContact.consent_at, Support.id)
    ).all()
    for row in supports:
        person = _recipient(found, row.email, row.email_hmac)
        person.supported.add(holder[row.cluster_id])
        person.supports.setdefault(holder[row.cluster_id], row.id)
    for person in found.values():
        person.supported -= set(person.reports)  # a reporter is told about their report, not their « moi aussi »
    return found


def _recipient(found: dict[str, Recipient], email: str, email_hmac: str) -> Recipient:
    person = found.get(email_hmac)
    if person is None:
        person = found[email_hmac] = Recipient(email, email_hmac)
    else:
        person.email = email
    return person
