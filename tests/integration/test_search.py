"""Searching irritants by label and keywords ignores case and accents on SQLite and PostgreSQL alike, keeps LIKE's
wildcards literal, and stays in step with every change of label or keywords (the migration fills existing rows)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from irritants import config
from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster, search_fold
from irritants.migrate import alembic_config
from irritants.settings import FeedbackSettings
from irritants.triage import backlog
from irritants.triage import services as triage
from irritants.triage.backlog import BacklogFilters
from tests.conftest import _fresh_postgres_database, make_cluster, make_user


def found(session, q: str) -> set[str]:
    items = backlog.backlog(session, BacklogFilters(q=q, page_size=100), feedback_settings=FeedbackSettings()).items
    return {c.label for c in items}


@pytest.fixture
def irritants(session):
    make_cluster(session, "Rendez-vous en préfecture impossible", reports=0)
    by_keyword = make_cluster(session, "Titre de séjour bloqué", reports=0)
    by_keyword.keywords = ["titre", "Préfecture", "récépissé"]
    make_cluster(session, "Allocation logement en retard", reports=0)
    make_cluster(session, "Taux_réduit refusé à 100%", reports=0)
    make_cluster(session, "TauxXréduit refusé à 1000", reports=0)
    make_cluster(session, "Cœur de la démarche : l’attestation", reports=0)
    session.commit()


def test_search_ignores_case_and_accents_in_labels_and_keywords(session, irritants):
    expected = {"Rendez-vous en préfecture impossible", "Titre de séjour bloqué"}
    for query in ("prefecture", "PRÉFECTURE", "Préfecture", "  préfecture ", "PREFECTURE"):
        assert found(session, query) == expected, query
    assert found(session, "recepisse") == {"Titre de séjour bloqué"}
    assert found(session, "coeur de la demarche : l'attestation") == {"Cœur de la démarche : l’attestation"}
    assert found(session, "préfecture impossible") == {"Rendez-vous en préfecture impossible"}
    # Label and keywords are separate texts: a query spanning the end of one and the start of the next finds nothing.
    assert found(session, "bloqué titre") == set()


def test_like_wildcards_in_the_query_are_literal(session, irritants):
    assert found(session, "taux_reduit") == {"Taux_réduit refusé à 100%"}
    assert found(session, "100%") == {"Taux_réduit refusé à 100%"}
    assert found(session, "%") == {"Taux_réduit refusé à 100%"}
    assert found(session, "_") == {"Taux_réduit refusé à 100%"}
    assert found(session, "\\") == set()


def test_the_irritant_page_search_uses_the_same_rules(session, irritants):
    labels = {c.label for c in backlog.search_clusters(session, "PREFECTURE")}
    assert labels == {"Rendez-vous en préfecture impossible", "Titre de séjour bloqué"}


def test_search_text_follows_every_change_of_label_and_keywords(session):
    cluster = Cluster(label="Démarche ANTS en panne", keywords=["ANTS", "Carte grise"])
    session.add(cluster)
    session.flush()
    assert cluster.search_text == "demarche ants en panne\nants\ncarte grise"
    cluster.keywords = ["Immatriculation"]
    assert cluster.search_text == "demarche ants en panne\nimmatriculation"
    session.commit()
    session.expire(cluster)
    cluster.label = "Préfecture : plus aucun créneau"  # keywords reloaded from the database
    assert cluster.search_text == "prefecture : plus aucun creneau\nimmatriculation"

    owner = agent_for(session, make_user(session, "product_owner"))
    triage.edit_label(session, owner, cluster.id, "Créneaux introuvables", ["Rendez-vous"])
    session.commit()
    stored = session.execute(text("SELECT search_text FROM clusters WHERE id = :i"), {"i": cluster.id}).scalar()
    assert stored == "creneaux introuvables\nrendez-vous"
    assert found(session, "CRÉNEAUX") == {"Créneaux introuvables"}


def test_search_fold():
    assert search_fold("  Œuvre  DÉJÀ\tvue ") == "oeuvre deja vue"
    assert search_fold("Straße") == "strasse"
    assert search_fold(None) == ""


def _migration_database(tmp_path):
    base = config.test_database_url()
    if base is None:
        return f"sqlite:///{tmp_path / 'search-backfill.sqlite3'}", lambda: None
    return _fresh_postgres_database(base)


def test_the_migration_fills_search_text_for_existing_irritants(tmp_path):
    url, drop = _migration_database(tmp_path)
    engine = create_engine(url)
    try:
        cfg = alembic_config(url)
        command.upgrade(cfg, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clusters (id, label, keywords, excerpt_report_ids, status, size, supporters, people,"
                    " territories, administrations, score, score_breakdown, pinned, label_locked, created_at,"
                    " updated_at, version) VALUES (7, 'Rendez-vous en Préfecture', :kw, '[]', 'new', 0, 0, 0, 0, 0,"
                    " 0, '{}', false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                ),
                {"kw": '["Récépissé", "titre de séjour"]'},
            )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT search_text FROM clusters WHERE id = 7")).scalar()
        assert stored == "rendez-vous en prefecture\nrecepisse\ntitre de sejour"
    finally:
        engine.dispose()
        drop()
