"""The acknowledgement: « Votre signalement … a bien été reçu », with the tracking link, queued in the report's own
transaction when it came with a follow-up email (form and API; never for a replay nor an import)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.db import get_db
from irritants.intake.models import ReportContact
from irritants.notify import unsubscribe
from irritants.outbox.rendering import absolute_url, render_mail
from irritants.outbox.services import Mail, queue_mail

TOPIC = "ack"
_RECEIVERS = "irritants.notify.acknowledgement"


def connect(app: Flask) -> None:
    """Queue an acknowledgement for each report submitted through ``app`` (its database's sessions only: several
    apps may live in one process, each with its own settings)."""
    engine = get_db(app).engine

    def on_report_submitted(session: Session, *, report_id: int, reference: str, tracking_token: str, **_: Any) -> None:
        if session.get_bind() is engine:
            acknowledge(session, app, report_id=report_id, reference=reference, tracking_token=tracking_token)

    app.extensions[_RECEIVERS] = on_report_submitted  # the signal holds it weakly: the app keeps it alive
    events.report_submitted.connect(on_report_submitted)


def acknowledge(session: Session, app: Flask, *, report_id: int, reference: str, tracking_token: str) -> None:
    """Queue the acknowledgement of a report that has a follow-up email (nothing otherwise)."""
    contact = session.execute(
        select(ReportContact.email, ReportContact.email_hmac).where(ReportContact.report_id == report_id)
    ).first()
    if contact is None:
        return
    tracking_url = absolute_url("intake.tracking", app=app, token=tracking_token)
    unsubscribe_url = unsubscribe.unsubscribe_url(app, contact.email_hmac)
    text, html = render_mail(
        "acknowledgement",
        app=app,
        reference=reference,
        tracking_url=tracking_url,
        unsubscribe_url=unsubscribe_url,
        privacy_url=absolute_url("pages.privacy", app=app, _anchor="vos-droits"),
    )
    queue_mail(
        session,
        Mail(
            to=contact.email,
            subject=f"Votre signalement {reference} a bien été reçu",
            text=text,
            html=html,
            unsubscribe_url=unsubscribe_url,
        ),
        topic=TOPIC,
        report_id=report_id,
        recipient_key=contact.email_hmac,
    )
