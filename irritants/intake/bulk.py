"""Bulk loading of reports (demo data, CSV import) through SQLAlchemy Core ``executemany``."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from irritants.intake.models import Report, ReportContact, Source
from irritants.intake.moderation import initial_moderation
from irritants.intake.services import derive_tracking_token, new_reference
from irritants.referential.models import Administration, Channel, Procedure, Territory
from irritants.tokens import email_hmac, hash_token

BATCH_SIZE = 2000


@dataclass
class ReferenceMaps:
    """In-memory référentiel for bulk work: slug/code → id."""

    administrations: dict[str, int] = field(default_factory=dict)
    procedures: dict[tuple[int, str], int] = field(default_factory=dict)
    procedures_by_admin: dict[str, list[str]] = field(default_factory=dict)
    territories: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    admin_aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> ReferenceMaps:
        """Read the whole référentiel once."""
        maps = cls()
        for admin in session.scalars(select(Administration).where(Administration.active)):
            maps.administrations[admin.slug] = admin.id
            maps.procedures_by_admin[admin.slug] = []
            for alias in (admin.slug, admin.name, admin.acronym):
                if alias:
                    maps.admin_aliases[fold(alias)] = admin.slug
        slug_by_id = {v: k for k, v in maps.administrations.items()}
        for proc in session.scalars(select(Procedure).where(Procedure.active)):
            maps.procedures[(proc.administration_id, proc.slug)] = proc.id
            if proc.administration_id in slug_by_id:
                maps.procedures_by_admin[slug_by_id[proc.administration_id]].append(proc.slug)
        maps.territories = set(session.scalars(select(Territory.code)))
        maps.channels = set(session.scalars(select(Channel.code)))
        return maps


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form used to match names loosely."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().replace("'", " ").replace("’", " ").split())


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_reports(
    session: Session,
    rows: Iterable[dict[str, Any]],
    maps: ReferenceMaps,
    *,
    source: Source,
    secret_key: str,
    retention_days: int,
    progress: Any = None,
) -> int:
    """Insert validated rows (slugs/codes as in ReportCreateSchema, plus optional created_at/external_key)."""
    total = 0
    now = dt.datetime.now(dt.UTC)
    for batch in _batches(rows, BATCH_SIZE):
        report_rows = []
        contacts: list[tuple[int, dict[str, Any]]] = []
        for i, row in enumerate(batch):
            admin_id = maps.administrations[row["administration"]]
            seed = secrets.token_hex(16)
            created = row.get("created_at") or now
            report_rows.append(
                {
                    "reference": new_reference(),
                    "token_seed": seed,
                    "tracking_token_hash": hash_token(derive_tracking_token(secret_key, seed)),
                    "created_at": created,
                    "description": row["description"],
                    "administration_id": admin_id,
                    "procedure_id": maps.procedures.get((admin_id, row["procedure"])) if row.get("procedure") else None,
                    "territory_code": row["territory"],
                    "channel_code": row["channel"],
                    "severity": row["severity"],
                    "occurred_on": row.get("occurred_on"),
                    "assisted": bool(row.get("assisted")),
                    "source": source,
                    "external_key": row.get("external_key"),
                    **initial_moderation(row["description"]),
                }
            )
            if row.get("email") and row.get("contact_consent", True):
                contacts.append(
                    (
                        i,
                        {
                            "email": row["email"],
                            "email_hmac": email_hmac(secret_key, row["email"]),
                            "consent_at": created,
                            "purge_after": created + dt.timedelta(days=retention_days),
                        },
                    )
                )
        # Plain executemany (no RETURNING): ids are looked up only for the few rows with a contact.
        session.execute(insert(Report), report_rows)
        if contacts:
            refs = [report_rows[i]["reference"] for i, _ in contacts]
            ids = dict(session.execute(select(Report.reference, Report.id).where(Report.reference.in_(refs))).all())
            session.execute(
                insert(ReportContact), [{"report_id": ids[report_rows[i]["reference"]], **c} for i, c in contacts]
            )
        total += len(batch)
        if progress is not None:
            progress.update(len(batch))
    return total
