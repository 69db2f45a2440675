"""« Vos liens de suivi » : one mail listing every report followed with an address, asked for on « lien de suivi
perdu ». The links are the reports' own (derived from each report's seed and the app's secret, never stored): sending
them again changes nothing for the links the citizen may still hold."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.french import to_paris_time
from irritants.intake.models import Report, ReportContact
from irritants.intake.services import derive_tracking_token
from irritants.notify import unsubscribe
from irritants.notify.receivers import connect_for_app
from irritants.outbox.rendering import absolute_url, render_mail
from irritants.outbox.services import Mail, queue_mail
from irritants.referential.models import Administration

TOPIC = "tracking_link"
_RECEIVERS = "irritants.notify.tracking_links"


def connect(app: Flask) -> None:
    """Queue the links' mail for each request that found its address, through ``app`` (its database only)."""
    connect_for_app(app, events.tracking_links_requested, _RECEIVERS, send_links)


def send_links(session: Session, app: Flask, *, report_ids: list[int], **_: Any) -> None:
    """Queue one mail with the tracking link of each of these reports, oldest first, to their address."""
    rows = session.execute(
        select(
            Report.reference,
            Report.created_at,
            Report.token_seed,
            Administration.name.label("administration"),
            ReportContact.email,
            ReportContact.email_hmac,
        )
        .join(ReportContact, ReportContact.report_id == Report.id)
        .join(Administration, Administration.id == Report.administration_id)
        .where(Report.id.in_(report_ids))
        .order_by(Report.created_at, Report.id)
    ).all()
    if not rows:
        return
    secret = app.config["SECRET_KEY"]
    links = [
        {
            "reference": row.reference,
            "day": to_paris_time(row.created_at).strftime("%d/%m/%Y"),
            "administration": row.administration,
            "url": absolute_url("intake.tracking", app=app, token=derive_tracking_token(secret, row.token_seed)),
        }
        for row in rows
    ]
    latest = rows[-1]  # the address as last typed (they all share one keyed hash)
    unsubscribe_url = unsubscribe.unsubscribe_url(app, latest.email_hmac)
    text, html = render_mail(
        "tracking_link", app=app, links=links, lost_link_url=absolute_url("followup.lost_link", app=app),
        unsubscribe_url=unsubscribe_url,
    )  # fmt: skip
    subject = "Votre lien de suivi" if len(links) == 1 else f"Vos {len(links)} liens de suivi"
    queue_mail(
        session,
        Mail(to=latest.email, subject=subject, text=text, html=html, unsubscribe_url=unsubscribe_url),
        topic=TOPIC,
        recipient_key=latest.email_hmac,
    )
