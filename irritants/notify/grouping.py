"""The grouping job: pending status notices become one mail per person, queued in the outbox.

Why a table of pending notices rather than the outbox's ``send_after``: a delayed outbox row is an already composed
mail, so two changes within the window would still be two mails, and an address unsubscribed or erased meanwhile
would have to be found inside composed payloads. A pending notice names only the irritant and the change (no
person); recipients are read when the mail is composed, so that whoever unsubscribed, was erased or purged in the
meantime gets nothing, and one person following several irritants that moved together gets one mail.

An irritant's notices wait until the oldest is MAIL_GROUP_MINUTES old (0: the next run); then every pending notice
of that irritant is taken at once, and the mail tells where it stands: the last change told, unless the irritant has
since been reopened or reshaped (back to « examiné », a duplicate, spam: nothing to tell). Notices of irritants
routed elsewhere also forward their reports to the destination's contact address (forwarding.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster
from irritants.feedback.models import ANSWER_LABELS
from irritants.feedback.schemas import ANSWER_PARAMS
from irritants.intake.redaction import redact
from irritants.intake.services import derive_tracking_token
from irritants.notify import forwarding
from irritants.notify.models import PendingNotice
from irritants.notify.recipients import Recipient, recipients
from irritants.notify.status_notices import TOLD
from irritants.outbox.rendering import render_mail
from irritants.outbox.services import Mail, queue_mail
from irritants.squads.models import Squad
from irritants.status import CITIZEN_STATUS_LABELS, StatusKind

TOPIC = "status"
BATCH = 50  # irritants per run: a run stays one short transaction
# A change undone before it was told: the irritant is back to examination, merged away, or dismissed.
STALE = frozenset({StatusKind.NEW, StatusKind.TRIAGED, StatusKind.DUPLICATE, StatusKind.SPAM})
SUBJECTS = {
    StatusKind.PLANNED: "pris en charge par une équipe",
    StatusKind.FIXED: "corrigé",
    StatusKind.NOT_OUR_SCOPE: "transmis à un autre service",
    StatusKind.CLOSED_NOT_FIXED: "clos sans correction",
    StatusKind.REGRESSED: "le problème est réapparu",
}
LABEL_IN_SUBJECT = 60


@dataclass(frozen=True)
class Links:
    """Absolute URLs for messages (built by the job, which knows the public address)."""

    tracking: Callable[[str], str]
    cluster: Callable[[int], str]
    unsubscribe: Callable[[str], str]
    survey_report: Callable[[str, str], str] | None = None
    """« Est-ce résolu pour vous ? » for a report: (tracking token, answer parameter) → its link."""
    survey_support: Callable[[int, str], str] | None = None
    """The same for a « moi aussi »: (support id, answer parameter) → its signed link."""


@dataclass(frozen=True)
class Told:
    """What a run did: irritants whose notices were taken, mails queued, reports forwarded."""

    clusters: int = 0
    mails: int = 0
    forwarded: int = 0


def due_clusters(session: Session, *, now: dt.datetime, window: dt.timedelta, limit: int = BATCH) -> list[int]:
    """Irritants whose oldest pending notice has waited ``window``, oldest first."""
    oldest = func.min(PendingNotice.created_at)
    return list(
        session.scalars(
            select(PendingNotice.cluster_id)
            .group_by(PendingNotice.cluster_id)
            .having(oldest <= now - window)
            .order_by(oldest, PendingNotice.cluster_id)
            .limit(limit)
        )
    )


def tell_due(
    session: Session, *, now: dt.datetime, window: dt.timedelta, secret_key: str, links: Links, limit: int = BATCH
) -> Told:
    """Compose and queue the mails of the irritants whose notices are due, then delete those notices (not
    committed: the caller's transaction also holds the outbox rows, so a failed run leaves the notices pending)."""
    cluster_ids = due_clusters(session, now=now, window=window, limit=limit)
    if not cluster_ids:
        return Told()
    notices = session.scalars(
        select(PendingNotice)
        .where(PendingNotice.cluster_id.in_(cluster_ids), PendingNotice.created_at <= now)
        .order_by(PendingNotice.created_at, PendingNotice.id)
    ).all()
    last: dict[int, PendingNotice] = {}
    for notice in notices:
        last[notice.cluster_id] = notice
    clusters = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(cluster_ids)))}
    news = {
        cid: notice
        for cid, notice in last.items()
        if cid in clusters and clusters[cid].status not in STALE and notice.status in TOLD
    }
    mails = forwarded = 0
    if news:
        items = _items(session, clusters, news, links)
        for person in recipients(session, news).values():
            _queue(session, person, items, secret_key=secret_key, links=links)
            mails += 1
        for cid, notice in news.items():
            if notice.status == StatusKind.NOT_OUR_SCOPE and clusters[cid].status == StatusKind.NOT_OUR_SCOPE:
                forwarded += forwarding.forward_reports(session, cid, notice.routed_to)
    session.execute(
        delete(PendingNotice)
        .where(PendingNotice.id.in_([n.id for n in notices]))
        .execution_options(synchronize_session=False)
    )
    return Told(len(cluster_ids), mails, forwarded)


def _items(
    session: Session, clusters: dict[int, Cluster], news: dict[int, PendingNotice], links: Links
) -> dict[int, dict[str, Any]]:
    """What a mail says of each irritant, whoever reads it."""
    squad_ids = {c.squad_id for c in clusters.values() if c.squad_id is not None}
    squads = dict(session.execute(select(Squad.id, Squad.name).where(Squad.id.in_(squad_ids))).all())
    items = {}
    for cid, notice in sorted(news.items()):
        cluster = clusters[cid]
        routed = redact(notice.routed_to or "") if notice.status == StatusKind.NOT_OUR_SCOPE else ""
        items[cid] = {
            "cluster_id": cid,
            "label": cluster.label,
            "status": notice.status.value,
            "status_label": CITIZEN_STATUS_LABELS[notice.status],
            "public_note": notice.public_note,
            "routed_to": routed,
            "squad": squads.get(cluster.squad_id or 0),
            "fixed_on": cluster.fixed_on if notice.status == StatusKind.FIXED else None,
            "cluster_url": links.cluster(cid),
            "references": [],
            "survey_links": None,  # per person (_survey_links): the links answer for one report or « moi aussi »
        }
    return items


def _queue(
    session: Session, person: Recipient, items: dict[int, dict[str, Any]], *, secret_key: str, links: Links
) -> None:
    mine = []
    for cid in sorted(person.cluster_ids & set(items)):
        followed = person.reports.get(cid, [])
        tokens = [derive_tracking_token(secret_key, seed) for _report_id, _reference, seed in followed]
        references = [
            {"reference": reference, "tracking_url": links.tracking(token)}
            for (_report_id, reference, _seed), token in zip(followed, tokens, strict=True)
        ]
        item = {**items[cid], "references": references}
        if item["status"] == StatusKind.FIXED.value:
            item["survey_links"] = _survey_links(links, tokens, person.supports.get(cid))
        mine.append(item)
    unsubscribe_url = links.unsubscribe(person.email_hmac)
    text, html = render_mail("status", items=mine, unsubscribe_url=unsubscribe_url)
    report_ids = [report_id for cid in person.reports for report_id, _ref, _seed in person.reports[cid]]
    queue_mail(
        session,
        Mail(to=person.email, subject=subject(mine), text=text, html=html, unsubscribe_url=unsubscribe_url),
        topic=TOPIC,
        # Erasing the report (or the address: recipient_key) takes the unsent mail with it.
        report_id=report_ids[0] if len(report_ids) == 1 else None,
        recipient_key=person.email_hmac,
    )


def _survey_links(links: Links, tokens: list[str], support_id: int | None) -> list[dict[str, str]] | None:
    """« Oui », « Non », « En partie »: links that answer for the person's first report of the irritant (or their
    « moi aussi »). Opening one records nothing (mail scanners follow links): it shows the answer to confirm."""
    if tokens and links.survey_report is not None:
        build = links.survey_report
        return [{"label": ANSWER_LABELS[a], "url": build(tokens[0], param)} for a, param in ANSWER_PARAMS.items()]
    if support_id is not None and links.survey_support is not None:
        signed = links.survey_support
        return [{"label": ANSWER_LABELS[a], "url": signed(support_id, param)} for a, param in ANSWER_PARAMS.items()]
    return None


def subject(items: list[dict[str, Any]]) -> str:
    """« Votre signalement ABC234 : corrigé », « Irritant « … » : corrigé », or « Du nouveau sur 2 irritants… »."""
    if len(items) > 1:
        return f"Du nouveau sur {len(items)} irritants que vous suivez"
    item = items[0]
    what = SUBJECTS[StatusKind(item["status"])]
    if len(item["references"]) == 1:
        return f"Votre signalement {item['references'][0]['reference']} : {what}"
    if item["references"]:
        return f"Vos signalements : {what}"
    label = item["label"]
    if len(label) > LABEL_IN_SUBJECT:
        label = label[: LABEL_IN_SUBJECT - 1].rstrip() + "…"
    return f"Irritant « {label} » : {what}"
