"""A message between agents and a report's author: a question to them, their reply, details they added."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow


class Direction(enum.StrEnum):
    """Who wrote it: an agent to the author (a question), or the author (a reply, or details)."""

    TO_REPORTER = "to_reporter"
    FROM_REPORTER = "from_reporter"


class ReportMessage(Base):
    """One message of a report's conversation; deleted with the report (its withdrawal)."""

    __tablename__ = "report_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, 16))
    # As written (cleaned of control characters, length-capped); agents who may not moderate read it redacted.
    body: Mapped[str] = mapped_column(Text)
    # Kinds of personal data detected in an author's text ("nir", "iban"…), as for reports.
    personal_data: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The agent who asked (questions only); kept readable in the audit log if the account goes.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The question a reply answers (None: a question, or details added unasked).
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("report_messages.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the author answered this question (questions only).
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_question(self) -> bool:
        return self.direction == Direction.TO_REPORTER
