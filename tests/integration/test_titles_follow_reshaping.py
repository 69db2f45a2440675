"""An irritant's title and keywords follow its reports through merges, splits and moves (real database), and a
title a product owner wrote is never recomputed."""

from __future__ import annotations

from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_report, make_user

RSA = [
    "Bonjour, j'espère que quelqu'un lira ce message. Ma demande de RSA est bloquée depuis trois mois, on me dit "
    "que ça pourra prendre encore du temps. Cordialement.",
    "Je vous écris en dernier recours. RSA toujours pas versé, dossier complet, rien ne bouge. Merci.",
    "Mon dossier RSA est bloqué, aucun versement du RSA, personne ne répond au téléphone.",
]
IBAN = [
    "Madame, Monsieur, le formulaire refuse mon IBAN étranger, on me dit que ça pourra se régler. Merci d'avance.",
    "IBAN étranger refusé par la CAF : plus aucune prestation versée. Je suis à bout.",
    "La CAF refuse mon IBAN parce que ma banque est en Belgique, c'est pourtant un IBAN européen.",
]
OTHERS = [
    "Aucun rendez-vous disponible en préfecture pour mon titre de séjour.",
    "Impossible d'avoir un rendez-vous pour la carte d'identité en mairie.",
    "La carte Vitale commandée il y a longtemps n'est jamais arrivée.",
]
FILLER = {"dit", "pourra", "trois", "espère", "message", "merci", "bonjour", "cordialement", "dit pourra"}


def owner(session):
    return agent_for(session, make_user(session, "product_owner"))


def irritant(session, label, texts):
    cluster = make_cluster(session, label, reports=0)
    for text in texts:
        make_report(session, cluster=cluster, description=text)
    cluster.size = len(texts)
    session.flush()
    return cluster


def background(session):
    for i, text in enumerate(OTHERS):
        irritant(session, f"Autre {i}", [text, text.replace(".", " !")])


def words_of(cluster):
    return {w.lower() for w in cluster.keywords}


def test_merge_recomputes_the_target_keywords_and_title_from_the_merged_reports(session):
    agent = owner(session)
    background(session)
    rsa = irritant(session, "J'espère que quelqu'un lira ce message.", RSA)
    iban = irritant(session, "IBAN", IBAN)
    session.commit()
    triage.merge(session, agent, rsa.id, [iban.id], ranking=RANKING)
    session.commit()
    merged = session.get(Cluster, rsa.id)
    assert any("rsa" in w for w in words_of(merged)) and any("iban" in w for w in words_of(merged))
    assert not FILLER & words_of(merged)
    assert "espère" not in merged.label and "message" not in merged.label  # the filler title is gone
    absorb = session.scalar(select(Event).where(Event.action == "cluster.absorb", Event.subject_id == rsa.id))
    assert absorb.before["label"] == "J'espère que quelqu'un lira ce message." and absorb.after["label"] == merged.label


def test_split_and_move_recompute_both_sides(session):
    agent = owner(session)
    background(session)
    mixed = irritant(session, "Mélange", RSA + IBAN)
    session.commit()
    iban_ids = _report_ids(session, mixed.id)[3:]
    new = triage.split(session, agent, mixed.id, iban_ids, ranking=RANKING)
    session.commit()
    kept = session.get(Cluster, mixed.id)
    assert any("iban" in w for w in words_of(new)) and not any("iban" in w for w in words_of(kept))
    assert any("rsa" in w for w in words_of(kept)) and not FILLER & (words_of(kept) | words_of(new))
    assert "IBAN" in new.label and "RSA" in kept.label

    # One IBAN report moved back: the RSA irritant now also says IBAN, and the audit says so on both.
    triage.move_report(session, agent, iban_ids[0], kept.id, ranking=RANKING)
    session.commit()
    kept = session.get(Cluster, mixed.id)
    described = session.scalars(select(Event).where(Event.action == "cluster.describe")).all()
    assert kept.id in {e.subject_id for e in described}
    assert all(e.after.get("keywords") is not None for e in described)


def test_a_title_written_by_a_product_owner_is_never_recomputed(session):
    agent = owner(session)
    background(session)
    rsa = irritant(session, "RSA", RSA)
    iban = irritant(session, "IBAN", IBAN)
    elsewhere = irritant(session, "Ailleurs", OTHERS)
    triage.edit_label(session, agent, rsa.id, "Versement du RSA suspendu", ["rsa", "versement"])
    session.commit()
    triage.merge(session, agent, rsa.id, [iban.id], ranking=RANKING)
    triage.move_report(session, agent, _report_ids(session, rsa.id)[0], elsewhere.id, ranking=RANKING)
    triage.move_report(session, agent, _report_ids(session, elsewhere.id)[0], rsa.id, ranking=RANKING)
    session.commit()
    kept = session.get(Cluster, rsa.id)
    assert (kept.label, kept.keywords, kept.label_locked) == ("Versement du RSA suspendu", ["rsa", "versement"], True)


def _report_ids(session, cluster_id):
    from irritants.intake.models import Report

    return list(session.scalars(select(Report.id).where(Report.cluster_id == cluster_id).order_by(Report.id)))
