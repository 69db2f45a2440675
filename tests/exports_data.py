"""What the exports' tests share: a small world with hostile texts and personal data planted, and readers of the
three formats (the readers analysts use: csv, openpyxl, pyarrow)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from irritants.auth.policy import Agent
from irritants.db import utcnow
from irritants.intake.models import Moderation, ReportContact
from irritants.status import StatusKind
from irritants.triage import fixes
from irritants.triage import services as triage
from tests.conftest import make_cluster, make_report, make_squad, make_user

# A published text that starts like a formula and names a link and an address (redacted in every export).
HOSTILE = '=HYPERLINK("http://pirate.example/x","Cliquez") écrivez à jean.dupont@example.org'
HOSTILE_REDACTED_START = '=HYPERLINK("[lien]","Cliquez") écrivez à [courriel]'
OTHER_HOSTILE = ("+cmd|' /C calc'!A0 rien ne marche", "@SUM(A1:A9) le site plante", "\t=1+1 formulaire bloqué")
# A text held for moderation: never exported, not even redacted.
HELD = "-2+3 Rappelez-moi au 06 12 34 56 78, mon numéro allocataire est 1234567"
CONTACT = "auteur.secret@example.org"


@dataclass
class World:
    squad_slug: str
    cluster: int
    other: int
    hostile: int
    held: int
    manager: Any
    admin: Agent
    secrets: list[str]  # what must never appear in a file: tokens' hashes and seeds, person keys, contact


def build(session: Session) -> World:
    squad = make_squad(session, "Rendez-vous prefecture")  # an ASCII slug, as the squads service makes them
    admin_user = make_user(session, "admin")
    admin = Agent(admin_user.id, admin_user.email, frozenset({"admin"}))
    manager = make_user(session, "manager")
    make_user(session, "squad_member", squads=[squad])
    cluster = make_cluster(session, "Rendez-vous introuvables en préfecture", reports=2, squad_id=squad.id)
    hostile = make_report(session, cluster=cluster, description=HOSTILE, moderation=Moderation.PUBLISHED,
                          person_key="f" * 64)  # fmt: skip
    for text in OTHER_HOSTILE:
        make_report(session, cluster=cluster, description=text, moderation=Moderation.PUBLISHED)
    held = make_report(session, cluster=cluster, description=HELD, moderation=Moderation.PENDING)
    session.add(
        ReportContact(report_id=held.id, email=CONTACT, email_hmac="e" * 64, consent_at=utcnow(),
                      purge_after=utcnow() + dt.timedelta(days=365))
    )  # fmt: skip
    other = make_cluster(session, "Formulaire qui refuse un IBAN valide", reports=1)
    make_report(session, cluster=other, description="Mon dossier France Travail est bloqué.",
                administration="france-travail", channel="en_ligne", severity="gene")  # fmt: skip
    for to in (StatusKind.TRIAGED, StatusKind.PLANNED, StatusKind.IN_PROGRESS):
        triage.change_status(session, admin, cluster.id, to)
    triage.declare_fix(session, admin, cluster.id, fixed_on=fixes.today(), public_note="Créneaux ouverts.")
    session.commit()
    from irritants.intake.models import Report

    secrets = [CONTACT, "jean.dupont", "06 12 34 56 78", "1234567", "f" * 64, "e" * 64]
    for report in session.query(Report).all():
        secrets += [report.tracking_token_hash, report.token_seed, report.reference]
    return World(squad.slug, cluster.id, other.id, hostile.id, held.id, manager, admin, secrets)


def read_back(fmt: str, data: bytes) -> list[dict[str, Any]]:
    """The rows of an export file, as its format's reader gives them."""
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    if fmt == "xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        cells = list(sheet.iter_rows())
        for row in cells:
            assert all(cell.data_type != "f" for cell in row)  # not one formula
        header = [c.value for c in cells[0]]
        return [dict(zip(header, (c.value for c in row), strict=True)) for row in cells[1:]]
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data)).to_pylist()


def raw_text(fmt: str, data: bytes) -> str:
    """Every character of the file that a reader could see (an XLSX's XML, a Parquet's bytes as Latin-1)."""
    if fmt == "xlsx":
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
        assert "<f>" not in xml and "<f " not in xml
        return xml
    return data.decode("utf-8-sig") if fmt == "csv" else data.decode("latin-1")
