"""ExportRequest: an export too large to stream, built by the background runner (the table is the queue)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow


class ExportState(enum.StrEnum):
    """Where a background export stands."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


STATE_LABELS: dict[ExportState, str] = {
    ExportState.QUEUED: "En attente",
    ExportState.RUNNING: "En préparation",
    ExportState.READY: "Prêt",
    ExportState.FAILED: "Échec",
}


class ExportRequest(Base):
    """One agent's export, queued until a runner builds its file; the file is kept until ``expires_at``."""

    __tablename__ = "export_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(String(20))  # reports, irritants, squads
    format: Mapped[str] = mapped_column(String(10))  # csv, xlsx, parquet
    # The filters as the dashboard's URL says them (InsightFilters.as_query()), read back with load_filters.
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[ExportState] = mapped_column(str_enum(ExportState, 10), default=ExportState.QUEUED, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Lease of the runner building it: once past (the runner died), another one takes it again.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    rows: Mapped[int | None] = mapped_column(Integer)
    # The file's name in the exports folder (random: never guessed from an id); None until ready.
    file_name: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(String(300))

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]
