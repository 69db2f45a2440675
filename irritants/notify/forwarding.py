"""« Hors périmètre » : the reports of an irritant routed elsewhere, forwarded to that service's contact address.

Where an irritant was sent is typed by the product owner (``clusters.routed_to``); when it names a body of the
référentiel — its name, acronym or slug, case and accents aside — that has a ``contact_email`` (the optional key of
``referential/data/administrations.json``), each report of the irritant (and of the irritants merged into it) is
forwarded there: reference, date, administration, démarche, département, what it cost the person and the text with
personal data masked. Never the reporter's contact; never a text a moderator rejected.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.clusters.models import search_fold
from irritants.intake.models import Moderation, Report
from irritants.intake.redaction import redact
from irritants.notify.recipients import family
from irritants.outbox.rendering import render_mail
from irritants.outbox.services import Mail, queue_mail
from irritants.referential.models import Administration

TOPIC = "forward"


def destination(session: Session, routed_to: str | None) -> Administration | None:
    """The body of the référentiel with a contact address that ``routed_to`` names, if any."""
    wanted = search_fold(routed_to)
    if not wanted:
        return None
    for administration in session.scalars(
        select(Administration).where(Administration.contact_email.is_not(None)).order_by(Administration.id)
    ):
        names = {administration.name, administration.acronym, administration.slug}
        if wanted in {search_fold(name) for name in names if name}:
            return administration
    return None


def forward_reports(session: Session, cluster_id: int, routed_to: str | None) -> int:
    """Queue one mail per report of the irritant to its destination's contact address; returns how many."""
    target = destination(session, routed_to)
    if target is None or not target.contact_email:
        return 0
    reports = session.scalars(
        select(Report)
        .where(Report.cluster_id.in_(sorted(family(session, [cluster_id]))), Report.moderation != Moderation.REJECTED)
        .order_by(Report.id)
    ).all()
    for report in reports:
        text, html = render_mail(
            "forward", report=report, description=redact(report.description), destination=target.name
        )
        queue_mail(
            session,
            Mail(
                to=target.contact_email,
                subject=f"Signalement {report.reference} transmis par le service Irritants",
                text=text,
                html=html,
            ),
            topic=TOPIC,
            report_id=report.id,
        )
    return len(reports)
