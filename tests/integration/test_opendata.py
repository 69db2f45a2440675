"""The open dataset: Paris weeks counted by the database, small counts left out, files valid against their Table
Schemas (the ``frictionless`` package), and nothing personal in any file even when a hostile report is planted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import frictionless
import pytest
from sqlalchemy import literal, select
from stdnum.fr import nir

from irritants.clusters.models import Cluster
from irritants.db import UTCDateTime, get_db
from irritants.french import PARIS
from irritants.intake.models import Report, Severity
from irritants.opendata import files
from irritants.opendata.dataset import SMALL_CELL, safe_text, week_rows
from irritants.opendata.weeks import as_date, paris_week, week_of
from irritants.referential.models import Procedure
from irritants.settings import FixEffectSettings
from irritants.status import StatusKind
from tests.conftest import make_cluster, make_report, make_squad

TODAY = dt.date(2026, 11, 18)  # a Wednesday: the weeks published end on Sunday 15 November
SETTINGS = FixEffectSettings(weeks=8)


def paris(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS).astimezone(dt.UTC)


def rows_of(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def reports(session, n: int, when: dt.datetime, *, procedure: str | None = None, **fields) -> None:
    """``n`` reports received at ``when`` (``procedure``: a démarche's slug of the report's administration)."""
    for _ in range(n):
        report = make_report(session, created_at=when, **fields)
        if procedure:
            report.procedure_id = session.scalar(
                select(Procedure.id).where(Procedure.slug == procedure, Procedure.administration_id ==
                                           report.administration_id)
            )  # fmt: skip
    session.flush()


# --- Paris weeks ------------------------------------------------------------------------------------------------

EDGES = [
    dt.datetime(2026, 3, 29, 0, 59, 59),  # last winter second: 01:59:59 in Paris, Sunday
    dt.datetime(2026, 3, 29, 1, 0, 0),  # first summer second: 03:00 in Paris
    dt.datetime(2026, 3, 29, 21, 59, 59),  # Sunday 23:59:59 in Paris
    dt.datetime(2026, 3, 29, 22, 0, 0),  # Monday 30 March, midnight in Paris: the next week
    dt.datetime(2026, 10, 25, 0, 59, 59),  # last summer second
    dt.datetime(2026, 10, 25, 1, 0, 0),  # first winter second
    dt.datetime(2026, 10, 25, 22, 59, 59),  # Sunday 23:59:59 in Paris (winter)
    dt.datetime(2026, 10, 25, 23, 0, 0),  # Monday 26 October, midnight in Paris
    dt.datetime(2026, 12, 31, 23, 30, 0),  # 1 January 2027 in Paris, the week of Monday 28 December
    dt.datetime(2024, 3, 31, 22, 0, 0),  # last Sunday of March on the 31st: Monday 1 April in Paris
    dt.datetime(2021, 10, 31, 23, 0, 0),  # last Sunday of October on the 31st: Monday 1 November in Paris
    dt.datetime(2027, 3, 28, 22, 30, 0),  # Monday 29 March 2027, 00:30 in Paris
]


def test_the_database_counts_reports_in_the_weeks_of_paris_across_clock_changes(session):
    rng = random.Random(13)
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    moments = [m.replace(tzinfo=dt.UTC) for m in EDGES] + [
        start + dt.timedelta(seconds=rng.randrange(8 * 365 * 86400)) for _ in range(150)
    ]
    dialect = session.get_bind().dialect.name
    for moment in moments:
        found = session.scalar(select(paris_week(literal(moment, UTCDateTime), dialect)))
        assert as_date(found) == week_of(moment), moment
        assert as_date(found).weekday() == 0


# --- weekly counts ------------------------------------------------------------------------------------------------


def test_weekly_counts_drop_every_cell_under_ten_and_the_week_not_over(session):
    week, before, current = dt.date(2026, 11, 9), dt.date(2026, 11, 2), dt.date(2026, 11, 16)
    a = {"administration": "caf", "territory": "59", "channel": "telephone", "severity": "blocage"}
    reports(session, SMALL_CELL, paris(week + dt.timedelta(days=2)), **a)  # kept: exactly ten
    reports(session, 12, paris(current), **a)  # the current week is not over: not published
    reports(session, SMALL_CELL - 1, paris(week), **{**a, "territory": "62"})  # nine: left out
    reports(session, 6, paris(before + dt.timedelta(days=6)), **{**a, "channel": "guichet"})  # 6 + 6 over two weeks
    reports(session, 6, paris(week), **{**a, "channel": "guichet"})
    # Ten with Monday 00:30 in Paris (still Sunday in UTC): all in the week of the 9th.
    reports(session, 1, paris(week, 0, 30), **{**a, "severity": "gene"})
    reports(session, SMALL_CELL - 1, paris(week + dt.timedelta(days=6), 23, 30), **{**a, "severity": "gene"})
    # Ten, one of them in an irritant marked spam: nine count.
    reports(session, SMALL_CELL - 1, paris(week), **{**a, "severity": "perte_de_temps"})
    reports(session, 1, paris(week), **{**a, "severity": "perte_de_temps"}, status=StatusKind.SPAM)
    session.flush()

    found = [
        (r.semaine, r.code_departement, r.canal, r.gravite, r.nombre_signalements) for r in week_rows(session, TODAY)
    ]

    assert found == [(week, "59", "telephone", "blocage", 10), (week, "59", "telephone", "gene", 10)]
    row = week_rows(session, TODAY)[0]
    assert (row.code_administration, row.administration, row.code_demarche, row.departement) == (
        "caf",
        "Caisse d'allocations familiales",
        None,
        "Nord",
    )
    # Once the week of the 16th is over, its twelve are published.
    later = week_rows(session, current + dt.timedelta(days=7))
    assert (current, "59", "telephone", "blocage", 12) in [
        (r.semaine, r.code_departement, r.canal, r.gravite, r.nombre_signalements) for r in later
    ]


# --- the files ----------------------------------------------------------------------------------------------------


def _fixed_irritant(session) -> Cluster:
    squad = make_squad(session, "Aides au logement")
    cluster = make_cluster(session, "Aide au logement : dossier bloqué après un déménagement", reports=0)
    cluster.status, cluster.fixed_on, cluster.squad_id = StatusKind.FIXED, dt.date(2026, 9, 14), squad.id
    for weeks_before in range(8, 0, -1):
        reports(session, 3, paris(cluster.fixed_on - dt.timedelta(weeks=weeks_before)), cluster=cluster,
                procedure="aide-au-logement")  # fmt: skip
    reports(session, 1, paris(cluster.fixed_on + dt.timedelta(days=20)), cluster=cluster)
    cluster.size = cluster.people = 25
    session.flush()
    return cluster


def test_the_files_are_valid_against_their_table_schemas(session, tmp_path: Path):
    fixed = _fixed_irritant(session)
    open_one = make_cluster(session, '=HYPERLINK("http://example.org") rendez-vous introuvables', reports=2)
    make_cluster(session, "Pourriel", reports=1, status=StatusKind.SPAM)
    make_cluster(session, "Doublon", reports=1, status=StatusKind.DUPLICATE)
    reports(session, SMALL_CELL, paris(dt.date(2026, 11, 10)), administration="caf", procedure="demande-rsa")
    session.flush()

    found = files.build(session, SETTINGS, today=TODAY, public_url="https://irritants.example.gouv.fr")
    files.write(found, tmp_path)

    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files.FILES)

    irritants = {int(r["id"]): r for r in rows_of(found.files["irritants.csv"])}
    assert set(irritants) == {fixed.id, open_one.id}  # neither spam nor a duplicate
    row = irritants[fixed.id]
    assert row["statut"] == "fixed" and row["date_correctif"] == "2026-09-14"
    assert row["date_premier_signalement"] == "2026-07-20"
    assert (row["code_demarche"], row["code_startup_etat"]) == ("aide-au-logement", "aides-au-logement")
    assert row["effet_correctif"] == "drop" and float(row["rapport_apres_avant"]) < 1
    assert irritants[open_one.id]["effet_correctif"] == "" and irritants[open_one.id]["date_correctif"] == ""
    assert irritants[open_one.id]["libelle"].startswith("'=")  # never read as a formula
    [week] = rows_of(found.files["signalements.csv"])
    assert (week["semaine"], week["code_demarche"], week["nombre_signalements"]) == ("2026-11-09", "demande-rsa", "10")

    package = json.loads(found.files["datapackage.json"])
    assert package["licenses"][0]["title"] == "Licence Ouverte 2.0"
    assert [r["path"] for r in package["resources"]] == ["irritants.csv", "signalements.csv"]
    assert package["homepage"] == "https://irritants.example.gouv.fr/statistiques"
    schema = json.loads(found.files["schema-signalements.json"])
    count = next(f for f in schema["fields"] if f["name"] == "nombre_signalements")
    assert count["constraints"]["minimum"] == SMALL_CELL
    gravite = next(f for f in schema["fields"] if f["name"] == "gravite")
    assert gravite["constraints"]["enum"] == [str(s) for s in Severity]


def test_a_file_breaking_its_schema_is_caught_by_the_validation(session, tmp_path: Path):
    """The validation is not vacuous: a count under ten or an unknown channel fails it."""
    reports(session, SMALL_CELL, paris(dt.date(2026, 11, 10)))
    session.flush()
    files.write(files.build(session, SETTINGS, today=TODAY, public_url=None), tmp_path)
    content = (tmp_path / "signalements.csv").read_text(encoding="utf-8")
    (tmp_path / "signalements.csv").write_text(content.replace("telephone,", "pigeon,").replace(",10\n", ",3\n"))

    report = frictionless.validate(str(tmp_path / "datapackage.json"))

    assert not report.valid
    assert {e[1] for e in report.flatten(["rowNumber", "fieldName"])} == {"canal", "nombre_signalements"}


def _valid_nir() -> str:
    body = "1841276451089"
    return body + nir.calc_check_digits(body)


HOSTILE_EMAIL = "jean.dupont.hostile@example.org"
HOSTILE_PHONE = "06 12 34 56 78"
HOSTILE_TOKEN = "tok_9fQ3xL7pZr2KvW8mNc4TbY6hJd1sGe5A"
CONTACT_EMAIL = "camille.contact.secret@example.net"
ORDINARY = {"territory": "13", "channel": "en_ligne", "severity": "perte_de_temps"}
OTHER_TEXTS = (
    "Ma prime d'activité est suspendue depuis {n} semaines sans explication, personne ne répond au téléphone.",
    "Aucun rendez-vous disponible en préfecture pour renouveler mon titre de séjour depuis {n} mois.",
)


@pytest.fixture
def hostile(make_app):
    """A report whose text holds an email, a phone number, a NIR and a token, given with a follow-up address and
    placed in an irritant by re-clustering (its label drawn from the texts), and nine ordinary ones of the same week
    and kind, so that its week's row is published."""
    app = make_app(CLUSTERING_ENCODER="tfidf")
    client = app.test_client()
    text = (
        f"Écrivez-moi à {HOSTILE_EMAIL} ou au {HOSTILE_PHONE}, mon numéro de sécurité sociale est {_valid_nir()}, "
        f"mon code {HOSTILE_TOKEN} ne marche pas sur le site de la CAF, dossier de RSA bloqué."
    )
    response = client.post(
        "/api/v1/reports",
        json={"description": text, "administration": "caf", "territory": "59", "channel": "telephone",
              "severity": "rupture_de_droits", "email": CONTACT_EMAIL, "contact_consent": True},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    for n in range(4):  # company for the re-clustering: two more irritants
        for theme, admin in ((OTHER_TEXTS[0], "caf"), (OTHER_TEXTS[1], "prefecture")):
            client.post("/api/v1/reports", json={**ORDINARY, "administration": admin, "description": theme.format(n=n)})
    result = app.test_cli_runner().invoke(args=["recluster"])
    assert result.exit_code == 0, result.output
    with app.app_context(), get_db(app).session_scope() as session:
        report = session.scalar(select(Report).where(Report.reference == body["reference"]))
        assert report.cluster_id is not None
        last_week = paris(TODAY - dt.timedelta(days=7))
        report.created_at = last_week
        reports(session, SMALL_CELL - 1, last_week, territory="59", channel="telephone", severity="rupture_de_droits")
        # A label typed by hand with personal data in it is redacted on the way out too.
        make_cluster(session, f"Rappelez {HOSTILE_EMAIL} au {HOSTILE_PHONE}", reports=1)
        session.commit()
    return app, {**body, "nir": _valid_nir(), "text": text}


def test_no_contact_token_or_raw_text_of_a_hostile_report_reaches_any_file(hostile):
    app, planted = hostile
    with app.app_context(), get_db(app).session_scope() as session:
        found = files.build(session, SETTINGS, today=TODAY, public_url=None)
    everything = b"\n".join(found.files.values()).decode("utf-8")

    published = rows_of(found.files["signalements.csv"])
    assert [(r["code_departement"], r["gravite"], r["nombre_signalements"]) for r in published] == [
        ("59", "rupture_de_droits", "10")
    ]
    nir_digits = planted["nir"]
    for secret in (HOSTILE_EMAIL, "jean.dupont", HOSTILE_PHONE, "0612345678", "12 34 56 78", nir_digits,
                   nir_digits[:13], HOSTILE_TOKEN, CONTACT_EMAIL, "camille", planted["tracking_token"],
                   planted["reference"], planted["text"], "sécurité sociale est"):  # fmt: skip
        assert secret not in everything, secret
    assert b"@" not in found.files["irritants.csv"] + found.files["signalements.csv"]
    irritants = rows_of(found.files["irritants.csv"])
    hand_typed = next(r for r in irritants if r["libelle"].startswith("Rappelez"))
    assert hand_typed["libelle"] == "Rappelez [courriel] au [téléphone]"
    drawn = next(r for r in irritants if r["code_administration"] == "caf" and "[code]" in r["libelle"])
    assert drawn["libelle"].startswith("Mon code [code]"), drawn  # the label drawn from the hostile text, masked


def test_labels_are_redacted_and_never_formulas():
    assert safe_text(f"Écrire à {HOSTILE_EMAIL}") == "Écrire à [courriel]"
    assert safe_text(f"Mon code {HOSTILE_TOKEN} ne marche pas") == "Mon code [code] ne marche pas"
    assert safe_text("Demande de RSA 2026 : allocation-logement-etudiante") == (
        "Demande de RSA 2026 : allocation-logement-etudiante"  # words and numbers stay
    )
    assert safe_text("=1+1") == "'=1+1"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)"
    assert safe_text("Rendez-vous  introuvables\n") == "Rendez-vous introuvables"
