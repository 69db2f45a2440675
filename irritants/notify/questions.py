"""« Une question sur votre signalement » : an agent's question, queued in the question's own transaction for the
report's author, with the link to their tracking page where they answer (no reply by mail, no agent's address)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.conversations.models import ReportMessage
from irritants.intake.models import Report, ReportContact
from irritants.intake.services import derive_tracking_token
from irritants.notify import unsubscribe
from irritants.notify.receivers import connect_for_app
from irritants.outbox.rendering import absolute_url, render_mail
from irritants.outbox.services import Mail, queue_mail

TOPIC = "question"
_RECEIVERS = "irritants.notify.questions"


def connect(app: Flask) -> None:
    """Queue a mail for each question asked through ``app`` (its database's sessions only)."""
    connect_for_app(app, events.question_asked, _RECEIVERS, tell)


def tell(session: Session, app: Flask, *, message_id: int, report_id: int, **_: Any) -> None:
    """Queue the mail of one question to the report's author (nothing if their address is gone)."""
    row = session.execute(
        select(Report.reference, Report.token_seed, ReportContact.email, ReportContact.email_hmac)
        .join(ReportContact, ReportContact.report_id == Report.id)
        .where(Report.id == report_id, ReportContact.unsubscribed_at.is_(None))
    ).first()
    message = session.get(ReportMessage, message_id)
    if row is None or message is None:
        return
    token = derive_tracking_token(app.config["SECRET_KEY"], row.token_seed)
    unsubscribe_url = unsubscribe.unsubscribe_url(app, row.email_hmac)
    text, html = render_mail(
        "question",
        app=app,
        reference=row.reference,
        question=message.body,
        reply_url=absolute_url("intake.tracking", app=app, token=token, _anchor="echanges"),
        unsubscribe_url=unsubscribe_url,
    )
    queue_mail(
        session,
        Mail(
            to=row.email,
            subject=f"Une question sur votre signalement {row.reference}",
            text=text,
            html=html,
            unsubscribe_url=unsubscribe_url,
        ),
        topic=TOPIC,
        report_id=report_id,
        recipient_key=row.email_hmac,
    )
