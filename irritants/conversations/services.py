"""A report's conversation: agents ask its author a question, the author replies or adds details on the tracking
page. Services never commit; the door asked the policy (agents) or checked the tracking token (the author).

An author's text is screened like a report's: the kinds of personal data found are stored with it, and agents who
may not moderate read it redacted (``shown_text``). Audit events say who wrote and how long, never the text.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.audit import services as audit
from irritants.auth.policy import Agent
from irritants.conversations.models import Direction, ReportMessage
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.intake.models import Report, ReportContact
from irritants.intake.redaction import finding_kinds, redact

NO_ADDRESS = (
    "La personne qui a fait ce signalement n'a pas laissé d'adresse de suivi, l'a effacée ou ne "
    "veut plus recevoir de messages : "
    "elle ne peut pas recevoir de question."
)


def reachable(session: Session, report_ids: list[int]) -> set[int]:
    """Which of these reports have an address to reach their author, who did not unsubscribe (never the address
    itself)."""
    if not report_ids:
        return set()
    return set(
        session.scalars(
            select(ReportContact.report_id).where(
                ReportContact.report_id.in_(report_ids), ReportContact.unsubscribed_at.is_(None)
            )
        )
    )


def reachable_in_cluster(session: Session, cluster_id: int, *, limit: int = 500) -> list[Report]:
    """The irritant's reports whose author may be asked a question, newest first (at most ``limit``)."""
    return list(
        session.scalars(
            select(Report)
            .join(ReportContact, ReportContact.report_id == Report.id)
            .where(Report.cluster_id == cluster_id, ReportContact.unsubscribed_at.is_(None))
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
        )
    )


def ask(session: Session, agent: Agent, report_id: int, body: str) -> ReportMessage:
    """An agent's question to a report's author; the mail that tells them is queued by ``events.question_asked``."""
    report = session.get(Report, report_id) if 0 < report_id < 2**31 else None
    if report is None:
        raise NotFoundError("Ce signalement n'existe pas.")
    if not reachable(session, [report.id]):
        raise ValidationFailed(NO_ADDRESS, errors={"report": [NO_ADDRESS]})
    message = ReportMessage(
        report_id=report.id, direction=Direction.TO_REPORTER, body=body, personal_data=[], author_id=agent.user_id
    )
    session.add(message)
    session.flush()
    audit.record(
        session,
        agent,
        "report.question",
        "report",
        report.id,
        cluster_id=report.cluster_id,
        after={"message_id": message.id, "length": len(body)},
    )
    events.question_asked.send(session, message_id=message.id, report_id=report.id, agent=agent)
    return message


def write(session: Session, report: Report, body: str, *, question_id: int | None = None) -> ReportMessage:
    """The author's reply to a question of theirs, or details they add unasked; screened for personal data."""
    question = None
    if question_id is not None:
        question = session.get(ReportMessage, question_id) if 0 < question_id < 2**31 else None
        if question is None or question.report_id != report.id or not question.is_question:
            unknown = "Cette question n'existe pas."
            raise ValidationFailed(unknown, errors={"question": [unknown]})
    message = ReportMessage(
        report_id=report.id,
        direction=Direction.FROM_REPORTER,
        body=body,
        personal_data=finding_kinds(body),
        in_reply_to_id=question.id if question else None,
    )
    session.add(message)
    if question is not None and question.answered_at is None:
        question.answered_at = utcnow()
    session.flush()
    audit.record(
        session,
        None,
        "report.reply" if question else "report.details",
        "report",
        report.id,
        cluster_id=report.cluster_id,
        after={"message_id": message.id, "length": len(body), "personal_data": message.personal_data},
    )
    return message


def conversation(session: Session, report_id: int) -> list[ReportMessage]:
    """A report's messages, oldest first."""
    return list(
        session.scalars(
            select(ReportMessage)
            .where(ReportMessage.report_id == report_id)
            .order_by(ReportMessage.created_at, ReportMessage.id)
        )
    )


def open_questions(messages: list[ReportMessage]) -> list[ReportMessage]:
    """The questions of a conversation still awaiting an answer."""
    return [m for m in messages if m.is_question and m.answered_at is None]


def shown_text(message: ReportMessage, *, raw: bool) -> str:
    """What an agent reads: an author's text redacted unless they may moderate; agents' questions as written."""
    if raw or message.is_question:
        return message.body
    return redact(message.body)


@dataclass(frozen=True)
class Thread:
    """One report's conversation as an irritant's page shows it to an agent."""

    report_id: int
    reference: str
    reachable: bool
    messages: list[tuple[ReportMessage, str]]


def threads_of_cluster(session: Session, cluster_id: int, *, raw: bool) -> list[Thread]:
    """Every conversation about the irritant's reports, the most recently active first."""
    rows = session.execute(
        select(ReportMessage, Report.reference)
        .join(Report, Report.id == ReportMessage.report_id)
        .where(Report.cluster_id == cluster_id)
        .order_by(ReportMessage.created_at, ReportMessage.id)
    ).all()
    by_report: dict[int, list[ReportMessage]] = defaultdict(list)
    references: dict[int, str] = {}
    for message, reference in rows:
        by_report[message.report_id].append(message)
        references[message.report_id] = reference
    reachable_ids = reachable(session, list(by_report))
    threads = [
        Thread(rid, references[rid], rid in reachable_ids, [(m, shown_text(m, raw=raw)) for m in messages])
        for rid, messages in by_report.items()
    ]
    threads.sort(key=lambda t: (t.messages[-1][0].created_at, t.messages[-1][0].id), reverse=True)
    return threads
