"""Exports of reports, irritants and squads, written through the services and read back (csv, openpyxl, pyarrow):
redacted published texts only, no contact, token or person key, no formula, the dashboard's filters."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from irritants.db import get_db
from irritants.errors import NotFoundError, ValidationFailed
from irritants.exports import jobs as export_jobs
from irritants.exports import services, tables
from irritants.exports.models import ExportRequest, ExportState
from irritants.exports.tables import What, count
from irritants.exports.writers import Format
from irritants.insights.filters import InsightFilters, load_filters
from irritants.settings import FixEffectSettings, settings_of
from tests.conftest import make_user
from tests.exports_data import HOSTILE_REDACTED_START, OTHER_HOSTILE, build, raw_text, read_back

FORMATS = ("csv", "xlsx", "parquet")


def export(session, what: str, fmt: str, filters: InsightFilters | None = None) -> bytes:
    out = io.BytesIO()
    services.write_export(session, What(what), Format(fmt), filters or load_filters({}), out, FixEffectSettings())
    return out.getvalue()


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_carry_redacted_published_texts_and_no_personal_data_nor_formula(session, fmt):
    world = build(session)
    data = export(session, "reports", fmt)
    rows = {int(row["id"]): row for row in read_back(fmt, data)}
    assert len(rows) == 2 + 1 + len(OTHER_HOSTILE) + 1 + 2  # the other irritant has two
    hostile, held = rows[world.hostile]["texte"], rows[world.held]["texte"]
    if fmt == "csv":
        assert hostile.startswith("'" + HOSTILE_REDACTED_START)  # neutralised for spreadsheets
        texts = [row["texte"] for row in rows.values() if row["texte"]]
        assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert held == ""
    else:
        assert hostile.startswith(HOSTILE_REDACTED_START)  # a string cell, never a formula (read_back checks)
        assert held is None
    text = raw_text(fmt, data)
    assert not [secret for secret in world.secrets if secret in text]
    assert "Rappelez-moi" not in text  # a text held for moderation is not even exported redacted
    assert {str(row["start_up"] or "") for row in rows.values()} == {world.squad_slug, ""}


def test_reports_follow_the_dashboards_filters(session):
    world = build(session)
    assert count(session, What.REPORTS, load_filters({})) == 9
    assert count(session, What.REPORTS, load_filters({"administration": "france-travail"})) == 1
    assert count(session, What.REPORTS, load_filters({"squad": world.squad_slug})) == 7
    assert count(session, What.REPORTS, load_filters({"channel": "en_ligne", "severity": "gene"})) == 1
    old = load_filters({"from": "2024-01-01", "to": "2024-03-31"})
    assert count(session, What.REPORTS, old) == 0
    assert read_back("csv", export(session, "reports", "csv", old)) == []


def test_irritants_carry_the_score_breakdown_status_dates_and_fix_effect(session):
    world = build(session)
    rows = {int(r["id"]): r for r in read_back("parquet", export(session, "irritants", "parquet"))}
    assert set(rows) == {world.cluster, world.other}
    fixed = rows[world.cluster]
    assert fixed["statut"] == "fixed" and fixed["start_up"] == world.squad_slug
    assert fixed["signalements_periode"] == 7
    for column in ("trie_le", "planifie_le", "en_cours_le", "corrige_le", "premier_signalement"):
        assert isinstance(fixed[column], dt.datetime), column
    assert fixed["trie_le"] <= fixed["planifie_le"] <= fixed["en_cours_le"] <= fixed["corrige_le"]
    assert fixed["regresse_le"] is None and fixed["ferme_sans_correctif_le"] is None
    assert fixed["correctif_livre_le"] is not None
    assert fixed["effet_correctif"] == "pas assez de recul"
    assert rows[world.other]["trie_le"] is None and rows[world.other]["effet_correctif"] is None
    narrowed = read_back("csv", export(session, "irritants", "csv", load_filters({"administration": "france-travail"})))
    assert [int(r["id"]) for r in narrowed] == [world.other]


def test_irritants_score_terms_are_columns(session):
    world = build(session)
    from irritants.clusters.models import Cluster

    cluster = session.get(Cluster, world.cluster)
    cluster.score = 12.5
    cluster.score_breakdown = {"total": 12.5, "terms": [{"name": "people", "contribution": 10.0},
                                                        {"name": "equity", "contribution": 2.5}]}  # fmt: skip
    session.commit()
    row = next(r for r in read_back("xlsx", export(session, "irritants", "xlsx")) if r["id"] == world.cluster)
    assert (row["score"], row["score_personnes"], row["score_equite"], row["score_gravite"]) == (12.5, 10, 2.5, None)


def test_squads_carry_members_fixes_and_their_effects(session):
    world = build(session)
    rows = read_back("csv", export(session, "squads", "csv"))
    assert [r["slug"] for r in rows] == [world.squad_slug]
    row = rows[0]
    assert (row["membres"], row["irritants_suivis"], row["signalements_periode"]) == ("1", "1", "7")
    assert (row["correctifs_livres"], row["correctifs_periode"], row["effets_trop_tot"]) == ("1", "1", "1")
    assert read_back("csv", export(session, "squads", "csv", load_filters({"squad": "inconnue"}))) == []


def test_unknown_names_in_the_filters_are_refused_in_french(session):
    with pytest.raises(ValidationFailed) as refused:
        services.check_filters(session, load_filters({"administration": "nulle-part", "squad": "personne"}))
    assert refused.value.errors == {"administration": ["Administration inconnue."],
                                    "squad": ["Start-up d'État inconnue."]}  # fmt: skip


def test_a_large_export_is_built_in_the_background_kept_for_its_requester_then_purged(make_app, tmp_path):
    app = make_app(INSTANCE_PATH=str(tmp_path))
    settings = settings_of(app).exports
    with app.app_context(), get_db(app).session_scope() as session:
        world = build(session)
        from irritants.auth.services import agent_for

        manager = agent_for(session, world.manager)
        queued = services.request_export(session, manager, What.REPORTS, Format.XLSX, load_filters({}), 9)
        session.commit()
        request_id = queued.id
    assert export_jobs.build_next(app) == 1
    assert export_jobs.build_next(app) == 0  # nothing left in the queue
    with app.app_context(), get_db(app).session_scope() as session:
        done = session.get(ExportRequest, request_id)
        assert (done.state, done.rows) == (ExportState.READY, 9)
        assert done.expires_at - done.finished_at >= dt.timedelta(days=settings.keep_days - 1)
        _request, path = services.downloadable(session, manager, request_id, settings)
        assert path.parent == tmp_path / "exports"
        assert len(read_back("xlsx", path.read_bytes())) == 9
        services.downloadable(session, world.admin, request_id, settings)  # admins too
        other = agent_for(session, make_user(session, "manager"))
        with pytest.raises(NotFoundError):
            services.downloadable(session, other, request_id, settings)
        assert services.purge(session, settings) == 0
        assert services.purge(session, settings, now=done.expires_at + dt.timedelta(seconds=1)) == 1
        session.commit()
        assert not path.exists()
        assert session.scalar(select(ExportRequest.id)) is None


def test_a_background_export_that_cannot_be_built_says_why(make_app, tmp_path):
    app = make_app(INSTANCE_PATH=str(tmp_path))
    with app.app_context(), get_db(app).session_scope() as session:
        world = build(session)
        from irritants.auth.services import agent_for

        manager = agent_for(session, world.manager)
        queued = services.request_export(session, manager, What.REPORTS, Format.CSV, load_filters({}), 9)
        queued.filters = {"administration": "nulle part !"}  # as if the vocabulary had changed since
        session.commit()
        request_id = queued.id
    assert export_jobs.build_next(app) == 1
    with app.app_context(), get_db(app).session_scope() as session:
        failed = session.get(ExportRequest, request_id)
        assert failed.state == ExportState.FAILED and failed.file_name is None
        assert failed.error == "Filtres invalides."


def test_rows_are_read_and_written_chunk_by_chunk(session, monkeypatch):
    build(session)
    monkeypatch.setattr(tables, "CHUNK", 2)
    chunks = list(tables.frames(session, What.REPORTS, load_filters({}), FixEffectSettings()))
    assert [len(chunk) for chunk in chunks] == [2, 2, 2, 2, 1]  # never every row at once
    assert len(list(tables.frames(session, What.IRRITANTS, load_filters({}), FixEffectSettings()))) == 1
    assert len(read_back("parquet", export(session, "reports", "parquet"))) == 9  # one row group per chunk


def test_an_export_whose_runner_died_is_taken_again_once_its_lease_is_past(session):
    world = build(session)
    from irritants.auth.services import agent_for

    manager = agent_for(session, world.manager)
    queued = services.request_export(session, manager, What.SQUADS, Format.CSV, load_filters({}), 1000)
    session.commit()
    now = queued.created_at
    taken = services.claim_next(session, now=now)
    session.commit()
    assert taken.id == queued.id and taken.state == ExportState.RUNNING
    assert taken.claimed_until == now + services.LEASE + dt.timedelta(seconds=10)  # 1,000 rows: 10 s more
    assert services.claim_next(session, now=now + services.LEASE) is None  # its runner may still be at it
    again = services.claim_next(session, now=now + services.LEASE + dt.timedelta(seconds=11))
    assert again is not None and again.id == queued.id


def test_a_forced_administration_overrides_the_filters(session):
    build(session)
    asked = load_filters({"administration": "caf", "channel": "en_ligne"})
    forced = asked.within("france-travail")  # what a correspondant's door passes
    assert (forced.administration, forced.channel, forced.start) == ("france-travail", "en_ligne", asked.start)
    assert asked.within(None) is asked
    assert count(session, What.REPORTS, load_filters({}).within("france-travail")) == 1
