"""Audit completeness: every decision writes exactly one event per changed object, in the same transaction,
with before/after; a refused or failed decision writes none and changes nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from irritants.audit.models import AppendOnlyError, Event
from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster, Support
from irritants.errors import IrritantsError
from irritants.intake.models import Report
from irritants.status import StatusKind
from irritants.triage import bulk
from irritants.triage import services as triage
from irritants.triage.models import ReplyTemplate
from tests.conftest import RANKING, make_cluster, make_report, make_squad, make_user

S = StatusKind
DECIDED = ("status", "squad_id", "pinned", "label", "label_locked", "duplicate_of_id", "routed_to", "closed_at")


def snapshot(session) -> dict[str, Any]:
    """Everything a decision may change, read back from the database."""
    session.expire_all()
    return {
        "clusters": {
            c.id: (*(getattr(c, f) for f in DECIDED), tuple(c.keywords or [])) for c in session.scalars(select(Cluster))
        },
        "reports": dict(
            (r.id, (r.cluster_id, r.cluster_locked, r.status))
            for r in session.execute(select(Report.id, Report.cluster_id, Report.cluster_locked, Report.status))
        ),
        "supports": dict(session.execute(select(Support.id, Support.cluster_id)).all()),
        "templates": dict((t.id, (t.title, t.body, t.squad_id)) for t in session.scalars(select(ReplyTemplate))),
    }


def new_events(session, since: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.id > since).order_by(Event.id)))


def last_event_id(session) -> int:
    return session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0


@pytest.fixture
def world(session):
    """Two squads, a product owner of the first, irritants in several states, a template."""
    squad, other = make_squad(session), make_squad(session, "Autre équipe")
    owner = agent_for(session, make_user(session, "product_owner", squads=[squad]))
    member = agent_for(session, make_user(session, "squad_member", squads=[squad]))
    a = make_cluster(session, "Rendez-vous introuvables", squad_id=squad.id)
    b = make_cluster(session, "Aucun créneau en préfecture")
    c = make_cluster(session, "Formulaire qui refuse l'IBAN")
    d = make_cluster(session, "Dossier RSA bloqué", status=S.TRIAGED)
    fixed = make_cluster(session, "Déjà corrigé", status=S.FIXED, squad_id=squad.id)
    theirs = make_cluster(session, "Sujet d'une autre équipe", squad_id=other.id)
    dup = make_cluster(session, "Doublon de B", reports=1)
    dup.status, dup.duplicate_of_id = S.DUPLICATE, b.id
    for person in ("p1", "p2"):
        session.add(Support(cluster_id=b.id, person_key=person))
    session.add(Support(cluster_id=a.id, person_key="p1"))
    template = triage.create_template(session, owner, "Pris en compte", "Merci, nous étudions ce blocage.")
    session.commit()
    return {
        "session": session,
        "owner": owner,
        "member": member,
        "squad": squad,
        "other": other,
        "a": a.id,
        "b": b.id,
        "c": c.id,
        "d": d.id,
        "fixed": fixed.id,
        "theirs": theirs.id,
        "dup": dup.id,
        "template": template.id,
    }


def first_report(session, cluster_id: int) -> int:
    return session.scalar(select(Report.id).where(Report.cluster_id == cluster_id).order_by(Report.id).limit(1))


def reports_of(session, cluster_id: int) -> list[int]:
    return list(session.scalars(select(Report.id).where(Report.cluster_id == cluster_id).order_by(Report.id)))


# Each decision, and the objects it must leave exactly one event on (the new cluster of a split is found later).
DECISIONS = {
    "status": (lambda w, s: triage.change_status(s, w["owner"], w["a"], S.TRIAGED, reason="Vu"), ["a"]),
    "duplicate": (
        lambda w, s: triage.change_status(s, w["owner"], w["b"], S.DUPLICATE, duplicate_of=w["c"]),
        ["b", "dup"],  # B's own duplicate now points at C: its own event
    ),
    "route": (
        lambda w, s: triage.change_status(s, w["owner"], w["d"], S.NOT_OUR_SCOPE, routed_to="Assurance maladie"),
        ["d"],
    ),
    "reopen": (lambda w, s: triage.change_status(s, w["owner"], w["fixed"], S.TRIAGED), ["fixed"]),
    "squad member progress": (
        lambda w, s: triage.change_status(s, w["member"], w["fixed"], S.REGRESSED),
        ["fixed"],
    ),
    "assign": (lambda w, s: triage.assign_squad(s, w["owner"], w["c"], w["squad"].id), ["c"]),
    "pin": (lambda w, s: triage.set_pinned(s, w["owner"], w["c"], True), ["c"]),
    "label": (lambda w, s: triage.edit_label(s, w["owner"], w["c"], "IBAN refusé", ["iban"]), ["c"]),
    "merge": (lambda w, s: triage.merge(s, w["owner"], w["a"], [w["b"]], ranking=RANKING), ["a", "b", "dup"]),
    "split": (
        lambda w, s: triage.split(s, w["owner"], w["c"], reports_of(s, w["c"])[:1], ranking=RANKING),
        ["c", "new"],
    ),
    "move": (
        lambda w, s: triage.move_report(s, w["owner"], first_report(s, w["c"]), w["d"], ranking=RANKING),
        # Both irritants' titles and keywords follow the report: one « recalculés » event on each.
        ["report", "c", "d"],
    ),
    "bulk": (lambda w, s: bulk.apply(s, w["owner"], [w["c"], w["d"]], "pin"), ["c", "d"]),
    # Applied to those that can change: events on them only, none on the irritants skipped.
    "bulk with one illegal": (
        lambda w, s: bulk.apply(s, w["owner"], [w["c"], w["fixed"]], "spam"),
        ["c"],
    ),
    "bulk with one forbidden": (lambda w, s: bulk.apply(s, w["owner"], [w["c"], w["theirs"]], "pin"), ["c"]),
    "template update": (
        lambda w, s: triage.update_template(s, w["owner"], w["template"], "Pris en compte", "Merci !"),
        ["template"],
    ),
    "template delete": (lambda w, s: triage.delete_template(s, w["owner"], w["template"]), ["template"]),
}


@pytest.mark.parametrize("name", list(DECISIONS))
def test_each_decision_writes_exactly_one_event_per_changed_object(world, name):
    session = world["session"]
    act, expected = DECISIONS[name]
    moved_report = first_report(session, world["c"]) if name == "move" else None
    before, since = snapshot(session), last_event_id(session)
    result = act(world, session)
    session.commit()
    after, events = snapshot(session), new_events(session, since)

    subjects = Counter((e.subject_type, e.subject_id) for e in events)
    assert all(count == 1 for count in subjects.values()), subjects
    wanted = set()
    for key in expected:
        if key == "new":
            wanted.add(("cluster", result.id))
        elif key == "report":
            wanted.add(("report", moved_report))
        elif key == "template":
            wanted.add(("template", world["template"]))
        else:
            wanted.add(("cluster", world[key]))
    assert set(subjects) == wanted

    # Completeness: every object whose state changed is the subject of an event or listed in one.
    changed_clusters = {i for i, v in after["clusters"].items() if before["clusters"].get(i) != v}
    assert changed_clusters <= {sid for kind, sid in subjects if kind == "cluster"}
    listed = {r for e in events for r in e.after.get("reports", [])} | {
        sid for kind, sid in subjects if kind == "report"
    }
    changed_reports = {i for i, v in after["reports"].items() if before["reports"][i][:2] != v[:2]}
    assert changed_reports <= listed
    listed_supports = {sp for e in events for sp in e.after.get("supports", [])}
    assert {i for i, v in after["supports"].items() if before["supports"][i] != v} <= listed_supports
    for event in events:
        assert event.actor == world["owner"].label or event.actor == world["member"].label
        assert event.before or event.after
        assert event.created_at is not None


def test_unmerge_writes_one_event_on_each_side(world):
    session = world["session"]
    triage.merge(session, world["owner"], world["a"], [world["c"]], ranking=RANKING)
    session.commit()
    since = last_event_id(session)
    triage.unmerge(session, world["owner"], world["c"], reason="Erreur", ranking=RANKING)
    session.commit()
    subjects = Counter((e.action, e.subject_id) for e in new_events(session, since))
    assert subjects == Counter({("cluster.unmerge", world["c"]): 1, ("cluster.release", world["a"]): 1})


def test_template_creation_is_recorded(world):
    session = world["session"]
    since = last_event_id(session)
    template = triage.create_template(session, world["member"], "Équipe", "Texte", squad_id=world["squad"].id)
    session.commit()
    [event] = new_events(session, since)
    assert (event.action, event.subject_type, event.subject_id) == ("template.create", "template", template.id)
    assert event.after == {"title": "Équipe", "body": "Texte", "squad_id": world["squad"].id}


FAILURES = {
    "illegal transition": lambda w, s: triage.change_status(s, w["owner"], w["a"], S.FIXED),
    "squad member reopening": lambda w, s: triage.change_status(s, w["member"], w["fixed"], S.TRIAGED),
    "another squad's irritant": lambda w, s: triage.set_pinned(s, w["owner"], w["theirs"], True),
    "stale version": lambda w, s: triage.edit_label(s, w["owner"], w["a"], "Libellé", [], expected_version=99),
    "unknown irritant": lambda w, s: triage.assign_squad(s, w["owner"], 987_654, None),
    "personal data in a label": lambda w, s: triage.edit_label(s, w["owner"], w["a"], "Tél. 0612345678", []),
    "merge into a duplicate": lambda w, s: triage.merge(s, w["owner"], w["dup"], [w["c"]], ranking=RANKING),
    "merge a fixed irritant": lambda w, s: triage.merge(s, w["owner"], w["c"], [w["fixed"]], ranking=RANKING),
    "merge another squad's": lambda w, s: triage.merge(s, w["owner"], w["c"], [w["theirs"]], ranking=RANKING),
    "unmerge what was never merged": lambda w, s: triage.unmerge(s, w["owner"], w["dup"], ranking=RANKING),
    "split everything": lambda w, s: triage.split(s, w["owner"], w["c"], reports_of(s, w["c"]), ranking=RANKING),
    "move into a duplicate": lambda w, s: triage.move_report(
        s, w["owner"], first_report(s, w["c"]), w["dup"], ranking=RANKING
    ),
    "bulk where none may change": lambda w, s: bulk.apply(s, w["owner"], [w["c"], w["fixed"]], "status", to=S.PLANNED),
    "bulk where all are forbidden": lambda w, s: bulk.apply(s, w["owner"], [w["theirs"]], "pin"),
    "template of another squad": lambda w, s: triage.create_template(
        s, w["owner"], "Titre", "Texte", squad_id=w["other"].id
    ),
    "manager deciding": lambda w, s: triage.change_status(s, agent_for(s, make_user(s, "manager")), w["a"], S.TRIAGED),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_a_refused_or_failed_decision_writes_nothing(world, name):
    session = world["session"]
    before, since = snapshot(session), last_event_id(session)
    with pytest.raises(IrritantsError):
        FAILURES[name](world, session)
    # Checked before any write: even inside the failed transaction there is no trace of it.
    assert new_events(session, since) == []
    assert snapshot(session) == before
    session.rollback()


def test_the_event_is_in_the_decisions_transaction(world):
    session = world["session"]
    since = last_event_id(session)
    triage.change_status(session, world["owner"], world["a"], S.TRIAGED)
    session.rollback()  # the view failed after the decision: neither the change nor its event remain
    assert new_events(session, since) == []
    assert session.get(Cluster, world["a"]).status == S.NEW


def test_events_are_append_only(world):
    session = world["session"]
    triage.set_pinned(session, world["owner"], world["a"], True)
    session.commit()
    event = new_events(session, 0)[-1]
    event.reason = "réécrit"
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()


def test_report_level_event_appears_in_the_destination_timeline(world):
    from irritants.audit.services import timeline

    session = world["session"]
    report_id = make_report(session, cluster=session.get(Cluster, world["c"])).id
    triage.move_report(session, world["owner"], report_id, world["d"], reason="Mauvais irritant", ranking=RANKING)
    session.commit()
    [event] = [e for e in timeline(session, world["d"]) if e.subject_type == "report"]
    assert (event.subject_id, event.reason, event.before["cluster_id"]) == (report_id, "Mauvais irritant", world["c"])
