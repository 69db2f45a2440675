"""« Est-ce résolu pour vous ? »: one answer per report or per « moi aussi », once its irritant is fixed."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow


class Answer(enum.StrEnum):
    """A citizen's answer: the fix worked for them, did not, or in part."""

    YES = "yes"
    NO = "no"
    PARTLY = "partly"


ANSWER_LABELS: dict[Answer, str] = {Answer.YES: "Oui", Answer.NO: "Non", Answer.PARTLY: "En partie"}


class ResolutionAnswer(Base):
    """What one reporter (by their report) or one supporter (by their « moi aussi ») answered about a fix.

    ``cluster_id`` is the irritant the question was about (the report's or support's irritant after merges, when
    answered): the rates of an irritant count the answers given about it and about the irritants merged into it.
    """

    __tablename__ = "resolution_answers"
    __table_args__ = (CheckConstraint("(report_id IS NULL) <> (support_id IS NULL)", name="one_respondent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), unique=True)
    support_id: Mapped[int | None] = mapped_column(ForeignKey("supports.id", ondelete="CASCADE"), unique=True)
    answer: Mapped[Answer] = mapped_column(str_enum(Answer, 10))
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the answer was last changed (None: never changed since first given).
    changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
