"""« Réponse de la CAF » : an administration's first public answer on an irritant, queued in the answer's own
transaction for every person who follows the irritant (its reports' and « moi aussi » addresses, and those of the
irritants merged into it: ``recipients.py``), one mail per address however many reports it made, never to an address
that unsubscribed. A later correction of the answer only changes the page: nobody is mailed twice for one answer."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from irritants import events
from irritants.answers.models import AdministrationAnswer
from irritants.answers.services import of_administration
from irritants.clusters.models import Cluster
from irritants.intake.services import derive_tracking_token
from irritants.notify import unsubscribe
from irritants.notify.receivers import connect_for_app
from irritants.notify.recipients import recipients
from irritants.outbox.rendering import absolute_url, render_mail
from irritants.outbox.services import Mail, queue_mail
from irritants.referential.models import Administration

TOPIC = "answer"
_RECEIVERS = "irritants.notify.answers"
LABEL_IN_SUBJECT = 60


def connect(app: Flask) -> None:
    """Queue the mails of each first answer published through ``app`` (its database's sessions only)."""
    connect_for_app(app, events.administration_answered, _RECEIVERS, tell)


def tell(session: Session, app: Flask, *, answer_id: int, cluster_id: int, first: bool, **_: Any) -> int:
    """Queue one mail per person following the irritant when its administration answers for the first time; returns
    how many were queued."""
    answer = session.get(AdministrationAnswer, answer_id)
    cluster = session.get(Cluster, cluster_id)
    if not first or answer is None or cluster is None:
        return 0
    administration = session.get(Administration, answer.administration_id)
    short = (administration.acronym or administration.name) if administration else "l'administration"
    of = of_administration(administration.name, administration.acronym) if administration else "de l'administration"
    label = cluster.label if len(cluster.label) <= LABEL_IN_SUBJECT else f"{cluster.label[: LABEL_IN_SUBJECT - 1]}…"
    cluster_url = absolute_url("irritants.cluster_page", app=app, cluster_id=cluster_id, _anchor="reponses")
    queued = 0
    for person in recipients(session, [cluster_id]).values():
        followed = person.reports.get(cluster_id, [])
        references = [
            {
                "reference": reference,
                "tracking_url": absolute_url(
                    "intake.tracking", app=app, token=derive_tracking_token(app.config["SECRET_KEY"], seed)
                ),
            }
            for _report_id, reference, seed in followed
        ]
        unsubscribe_url = unsubscribe.unsubscribe_url(app, person.email_hmac)
        text, html = render_mail(
            "answer",
            app=app,
            administration=short,
            of_administration=of,
            label=cluster.label,
            answer=answer.text,
            references=references,
            cluster_url=cluster_url,
            unsubscribe_url=unsubscribe_url,
        )
        queue_mail(
            session,
            Mail(
                to=person.email,
                subject=f"Réponse {of} sur « {label} »",
                text=text,
                html=html,
                unsubscribe_url=unsubscribe_url,
            ),
            topic=TOPIC,
            report_id=followed[0][0] if len(followed) == 1 else None,
            recipient_key=person.email_hmac,
        )
        queued += 1
    return queued
