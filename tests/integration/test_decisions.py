"""Product owners' decisions through the real services and database: the typed workflow, squads, pins,
labels, merges (counted once per person, reversible), splits, moves, bulk actions and reply templates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.auth.exceptions import Forbidden, StaleObject
from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster, Support
from irritants.errors import NotFoundError, ValidationFailed
from irritants.intake.models import Report
from irritants.status import StatusKind
from irritants.triage import bulk, fixes
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_report, make_squad, make_user

S = StatusKind


def agent(session, *roles, squads=()):
    return agent_for(session, make_user(session, *roles, squads=squads))


def po(session, squads=()):
    return agent(session, "product_owner", squads=squads)


def events_of(session, cluster_id=None, **where):
    stmt = select(Event).order_by(Event.id)
    if cluster_id is not None:
        stmt = stmt.where(Event.subject_type == "cluster", Event.subject_id == cluster_id)
    for key, value in where.items():
        stmt = stmt.where(getattr(Event, key) == value)
    return list(session.scalars(stmt))


def count_events(session):
    return session.scalar(select(func.count(Event.id)))


def report_statuses(session, cluster_id):
    return set(session.scalars(select(Report.status).where(Report.cluster_id == cluster_id)))


def support(session, cluster, person):
    session.add(Support(cluster_id=cluster.id, person_key=person))
    session.flush()


# --- the typed workflow -----------------------------------------------------------------------------------


def test_the_whole_life_of_an_irritant_with_one_event_per_step_and_reports_mirroring_it(session):
    squad = make_squad(session)
    owner = po(session, squads=[squad])
    cluster = make_cluster(session, squad_id=squad.id)
    path = [S.TRIAGED, S.PLANNED, S.IN_PROGRESS, S.FIXED, S.REGRESSED, S.IN_PROGRESS, S.CLOSED_NOT_FIXED, S.TRIAGED]
    for step, to in enumerate(path, start=1):
        if to == S.FIXED:  # only through the « correctif livré » declaration
            changed = triage.declare_fix(
                session, owner, cluster.id, fixed_on=fixes.today(), public_note="Corrigé.", reason=f"étape {step}"
            )
        else:
            changed = triage.change_status(session, owner, cluster.id, to, reason=f"étape {step}")
        assert changed.status == to
        assert report_statuses(session, cluster.id) == {to}
        assert len(events_of(session, cluster.id)) == step
    session.commit()
    history = events_of(session, cluster.id)
    assert [e.after["status"] for e in history] == [str(s) for s in path]
    assert history[0].before["status"] == "new"
    assert history[0].reason == "étape 1"
    assert history[0].actor == owner.label and history[0].actor_id == owner.user_id


def test_closed_at_and_fixed_at_follow_the_status(session):
    squad = make_squad(session)
    owner = po(session, squads=[squad])
    cluster = make_cluster(session, squad_id=squad.id, status=S.IN_PROGRESS)
    triage.declare_fix(session, owner, cluster.id, fixed_on=fixes.today(), public_note="Corrigé.")
    assert cluster.closed_at is not None and cluster.fixed_at is not None
    triage.change_status(session, owner, cluster.id, S.REGRESSED)
    assert cluster.closed_at is None and cluster.fixed_at is not None  # it had been fixed
    triage.change_status(session, owner, cluster.id, S.IN_PROGRESS)
    triage.change_status(session, owner, cluster.id, S.CLOSED_NOT_FIXED)
    assert cluster.closed_at is not None
    triage.change_status(session, owner, cluster.id, S.TRIAGED, reason="Rouvert après de nouveaux signalements")
    assert cluster.closed_at is None and cluster.fixed_at is None
    assert cluster.fixed_on == fixes.today()  # the last declared fix day is kept


def test_an_illegal_transition_names_both_statuses_and_changes_nothing(session):
    owner = po(session)
    cluster = make_cluster(session)
    session.commit()
    with pytest.raises(ValidationFailed) as caught:
        triage.change_status(session, owner, cluster.id, S.IN_PROGRESS)
    assert caught.value.detail.startswith("Passage de « Nouveau » à « En cours » impossible : ")
    assert "« Qualifié »" in caught.value.detail
    session.rollback()
    assert session.get(Cluster, cluster.id).status == S.NEW
    assert count_events(session) == 0


def test_same_status_is_refused_too(session):
    owner = po(session)
    cluster = make_cluster(session)
    with pytest.raises(ValidationFailed) as caught:
        triage.change_status(session, owner, cluster.id, S.NEW)
    assert caught.value.detail == "L'irritant est déjà « Nouveau » : rien n'a changé."


def test_a_stale_form_says_changed_meanwhile_and_what_it_is_now_before_any_workflow_check(session):
    squad = make_squad(session, "Titres de séjour")
    owner = po(session, squads=[squad])
    cluster = make_cluster(session)
    session.commit()
    seen = cluster.version
    triage.change_status(session, owner, cluster.id, S.TRIAGED)  # someone else, meanwhile
    triage.assign_squad(session, owner, cluster.id, squad.id)
    session.commit()
    # The same decision from a page loaded before: not « Passage de « Qualifié » à « Qualifié » impossible ».
    with pytest.raises(StaleObject) as caught:
        triage.change_status(session, owner, cluster.id, S.TRIAGED, expected_version=seen)
    message = caught.value.detail
    assert "modifié entre-temps" in message and "Passage de" not in message
    assert "il est maintenant « Qualifié » et confié à la start-up d'État « Titres de séjour »" in message
    assert "rechargez" not in message.lower()
    # Every decision checks the version before what depends on the state.
    for attempt in (
        lambda: triage.change_status(session, owner, cluster.id, S.FIXED, expected_version=seen),
        lambda: triage.assign_squad(session, owner, cluster.id, None, expected_version=seen),
        lambda: triage.edit_label(session, owner, cluster.id, "x", [], expected_version=seen),
        lambda: triage.merge(
            session, owner, cluster.id, [cluster.id], expected_versions={cluster.id: seen}, ranking=RANKING
        ),
        lambda: triage.split(session, owner, cluster.id, [987_654], expected_version=seen, ranking=RANKING),
    ):
        with pytest.raises(StaleObject, match="modifié entre-temps"):
            attempt()
    assert count_events(session) == 2


def test_unknown_status_and_unknown_irritant(session):
    owner = po(session)
    cluster = make_cluster(session)
    with pytest.raises(ValidationFailed):
        triage.change_status(session, owner, cluster.id, "resolu")
    with pytest.raises(NotFoundError):
        triage.change_status(session, owner, 999_999, S.TRIAGED)


def test_planned_needs_a_squad(session):
    owner = po(session)
    cluster = make_cluster(session, status=S.TRIAGED)
    with pytest.raises(ValidationFailed, match="start-up d'État") as caught:
        triage.change_status(session, owner, cluster.id, S.PLANNED)
    assert "squad_id" in caught.value.errors


def test_not_our_scope_needs_where_it_was_sent_and_reopening_clears_it(session):
    owner = po(session)
    cluster = make_cluster(session, status=S.TRIAGED)
    with pytest.raises(ValidationFailed) as caught:
        triage.change_status(session, owner, cluster.id, S.NOT_OUR_SCOPE, routed_to="  ")
    assert "routed_to" in caught.value.errors
    triage.change_status(session, owner, cluster.id, S.NOT_OUR_SCOPE, routed_to="Défenseur des droits")
    assert cluster.routed_to == "Défenseur des droits" and cluster.closed_at is not None
    assert report_statuses(session, cluster.id) == {S.NOT_OUR_SCOPE}
    triage.change_status(session, owner, cluster.id, S.TRIAGED)
    assert cluster.routed_to is None and cluster.closed_at is None


def test_routed_to_or_duplicate_of_with_another_status_is_refused(session):
    owner = po(session)
    cluster = make_cluster(session)
    with pytest.raises(ValidationFailed):
        triage.change_status(session, owner, cluster.id, S.TRIAGED, routed_to="CAF")
    with pytest.raises(ValidationFailed):
        triage.change_status(session, owner, cluster.id, S.TRIAGED, duplicate_of=cluster.id)


def test_duplicate_needs_another_irritant_and_points_at_the_root(session):
    owner = po(session)
    root = make_cluster(session, "Original")
    middle = make_cluster(session, "Doublon intermédiaire")
    child = make_cluster(session, "Doublon du doublon")
    fresh = make_cluster(session, "Nouveau doublon")
    with pytest.raises(ValidationFailed):
        triage.change_status(session, owner, fresh.id, S.DUPLICATE)
    with pytest.raises(ValidationFailed, match="lui-même"):
        triage.change_status(session, owner, fresh.id, S.DUPLICATE, duplicate_of=fresh.id)
    with pytest.raises(ValidationFailed):
        triage.change_status(session, owner, fresh.id, S.DUPLICATE, duplicate_of=987_654)

    triage.change_status(session, owner, child.id, S.DUPLICATE, duplicate_of=middle.id)
    triage.change_status(session, owner, middle.id, S.DUPLICATE, duplicate_of=root.id)
    # The earlier duplicate now points at the root too (its own event), never a chain.
    assert child.duplicate_of_id == root.id
    assert [e.action for e in events_of(session, child.id)] == ["cluster.status", "cluster.repoint"]
    triage.change_status(session, owner, fresh.id, S.DUPLICATE, duplicate_of=child.id)
    assert fresh.duplicate_of_id == root.id
    # A root cannot become the duplicate of its own duplicate.
    with pytest.raises(ValidationFailed, match="lui-même"):
        triage.change_status(session, owner, root.id, S.DUPLICATE, duplicate_of=child.id)


def test_duplicate_of_a_spam_irritant_is_refused(session):
    owner = po(session)
    spam = make_cluster(session, "Publicité", status=S.SPAM)
    cluster = make_cluster(session)
    with pytest.raises(ValidationFailed, match="indésirable"):
        triage.change_status(session, owner, cluster.id, S.DUPLICATE, duplicate_of=spam.id)


def test_squad_member_moves_own_work_along_but_cannot_triage_reopen_or_reshape(session):
    squad, other = make_squad(session), make_squad(session, "Autre équipe")
    member = agent(session, "squad_member", squads=[squad])
    ours = make_cluster(session, squad_id=squad.id, status=S.PLANNED)
    theirs = make_cluster(session, squad_id=other.id, status=S.PLANNED)
    session.commit()
    triage.change_status(session, member, ours.id, S.IN_PROGRESS)
    with pytest.raises(ValidationFailed, match="correctif livré"):  # « fixed »: only the declaration (not a member's)
        triage.change_status(session, member, ours.id, S.FIXED)
    owner = po(session, squads=[squad])
    triage.declare_fix(session, owner, ours.id, fixed_on=fixes.today(), public_note="Corrigé.")
    session.commit()
    before = count_events(session)
    for cluster_id, to in ((ours.id, S.TRIAGED), (theirs.id, S.IN_PROGRESS), (ours.id, S.SPAM)):
        with pytest.raises(Forbidden):
            triage.change_status(session, member, cluster_id, to)
        session.rollback()
    assert count_events(session) == before
    assert session.get(Cluster, ours.id).status == S.FIXED


def test_manager_decides_nothing(session):
    manager = agent(session, "manager")
    cluster = make_cluster(session)
    with pytest.raises(Forbidden):
        triage.change_status(session, manager, cluster.id, S.TRIAGED)
    with pytest.raises(Forbidden):
        triage.set_pinned(session, manager, cluster.id, True)


# --- squad, pin, label ------------------------------------------------------------------------------------


def test_assign_squad_records_the_change_once(session):
    squad = make_squad(session)
    owner = po(session, squads=[squad])
    cluster = make_cluster(session)
    triage.assign_squad(session, owner, cluster.id, squad.id, reason="Sujet de l'équipe")
    triage.assign_squad(session, owner, cluster.id, squad.id)  # already so: nothing to record
    assert cluster.squad_id == squad.id
    [event] = events_of(session, cluster.id)
    assert (event.action, event.before, event.after["squad_id"]) == ("cluster.assign", {"squad_id": None}, squad.id)
    with pytest.raises(ValidationFailed, match="inconnue"):
        triage.assign_squad(session, owner, cluster.id, 424_242)


def test_a_planned_irritant_keeps_its_squad(session):
    squad = make_squad(session)
    owner = po(session, squads=[squad])
    cluster = make_cluster(session, squad_id=squad.id, status=S.PLANNED)
    with pytest.raises(ValidationFailed):
        triage.assign_squad(session, owner, cluster.id, None)


def test_another_squads_irritant_is_not_ours_to_reassign(session):
    mine, theirs = make_squad(session), make_squad(session, "Autre équipe")
    owner = po(session, squads=[mine])
    cluster = make_cluster(session, squad_id=theirs.id)
    with pytest.raises(Forbidden, match="autre start-up"):
        triage.assign_squad(session, owner, cluster.id, mine.id)


def test_pin_and_unpin_record_one_event_each(session):
    owner = po(session)
    cluster = make_cluster(session)
    triage.set_pinned(session, owner, cluster.id, True)
    triage.set_pinned(session, owner, cluster.id, True)
    triage.set_pinned(session, owner, cluster.id, False)
    assert [(e.before, e.after) for e in events_of(session, cluster.id)] == [
        ({"pinned": False}, {"pinned": True}),
        ({"pinned": True}, {"pinned": False}),
    ]


def test_edit_label_locks_it_and_refuses_personal_data(session):
    owner = po(session)
    cluster = make_cluster(session)
    triage.edit_label(session, owner, cluster.id, "  Créneaux   introuvables ", ["rendez-vous", "Rendez-vous", "titre"])
    assert (cluster.label, cluster.keywords, cluster.label_locked) == (
        "Créneaux introuvables",
        ["rendez-vous", "titre"],
        True,
    )
    with pytest.raises(ValidationFailed) as caught:
        triage.edit_label(session, owner, cluster.id, "Appeler le 06 12 34 56 78", [])
    assert "personnelles" in caught.value.errors["label"][0]
    with pytest.raises(ValidationFailed):
        triage.edit_label(session, owner, cluster.id, "ab", [])
    with pytest.raises(ValidationFailed):
        triage.edit_label(session, owner, cluster.id, "Libellé correct", [f"mot{i}" for i in range(13)])
    assert len(events_of(session, cluster.id)) == 1


# --- concurrency ------------------------------------------------------------------------------------------


def test_a_decision_on_an_outdated_version_is_refused(session):
    owner = po(session)
    cluster = make_cluster(session)
    session.commit()
    seen = cluster.version
    triage.change_status(session, owner, cluster.id, S.TRIAGED, expected_version=seen)
    session.commit()
    assert cluster.version == seen + 1
    with pytest.raises(StaleObject, match="modifié entre-temps") as caught:
        triage.set_pinned(session, owner, cluster.id, True, expected_version=seen)
    assert caught.value.status == 409


def test_two_agents_on_the_same_irritant_from_two_sessions_the_second_gets_409(app, session):
    from irritants.db import get_db

    owner, other = po(session), po(session)
    cluster = make_cluster(session)
    session.commit()
    second = get_db(app).write_sessions()
    try:
        # The second agent's request has read the irritant (and keeps it) when the first one's change commits.
        theirs = second.get(Cluster, cluster.id)
        seen = theirs.version
        second.commit()
        triage.change_status(session, owner, cluster.id, S.TRIAGED)
        session.commit()
        # No expected version given: SQLAlchemy's versioned UPDATE matches no row and that is a 409 as well.
        with pytest.raises(StaleObject):
            triage.set_pinned(second, other, cluster.id, True)
        second.rollback()
    finally:
        second.close()
    session.expire_all()
    stored = session.get(Cluster, cluster.id)
    assert (stored.status, stored.pinned, stored.version) == (S.TRIAGED, False, seen + 1)
    assert len(events_of(session, cluster.id)) == 1


def test_truly_concurrent_updates_on_postgresql_one_wins_one_gets_409(app, session):
    import threading

    from irritants.db import get_db

    if get_db(app).is_sqlite:
        pytest.skip("SQLite serialises write transactions (BEGIN IMMEDIATE): no two writers at once")
    owner, other = po(session), po(session)
    cluster = make_cluster(session)
    session.commit()
    second = get_db(app).write_sessions()
    outcome: dict[str, object] = {}
    theirs = second.get(Cluster, cluster.id)  # loaded in an open transaction, before the first change
    seen = theirs.version

    def act() -> None:
        try:
            triage.set_pinned(second, other, cluster.id, True)
            second.commit()
            outcome["result"] = "committed"
        except Exception as exc:
            second.rollback()
            outcome["result"] = exc

    triage.change_status(session, owner, cluster.id, S.TRIAGED)  # flushed: holds the row lock
    worker = threading.Thread(target=act)
    worker.start()
    worker.join(0.5)
    assert worker.is_alive(), "the second UPDATE waits for the first transaction"
    session.commit()
    worker.join(10)
    second.close()
    assert getattr(outcome["result"], "status", None) == 409
    session.expire_all()
    stored = session.get(Cluster, cluster.id)
    assert (stored.status, stored.pinned, stored.version) == (S.TRIAGED, False, seen + 1)
    assert len(events_of(session, cluster.id)) == 1


def test_concurrent_merges_into_one_irritant_never_interleave_on_postgresql(app, session):
    import threading

    from irritants.db import get_db

    if get_db(app).is_sqlite:
        pytest.skip("SQLite serialises write transactions (BEGIN IMMEDIATE): no two writers at once")
    owner, other = po(session), po(session)
    target, first, second_source = (make_cluster(session, name, reports=1) for name in ("Cible", "Un", "Deux"))
    for source in (first, second_source):
        support(session, source, "la-même-personne")
    session.commit()
    ids = (target.id, first.id, second_source.id)
    second = get_db(app).write_sessions()
    outcome: dict[str, object] = {}

    def act() -> None:
        try:
            triage.merge(second, other, ids[0], [ids[2]], ranking=RANKING)
            second.commit()
            outcome["result"] = "committed"
        except Exception as exc:
            second.rollback()
            outcome["result"] = exc

    triage.merge(session, owner, ids[0], [ids[1]], ranking=RANKING)  # flushed, not committed: holds the target's row
    worker = threading.Thread(target=act)
    worker.start()
    worker.join(0.5)
    session.commit()
    worker.join(10)
    second.close()
    # Without the claim on the target, the shared supporter would have hit the unique constraint (a 500).
    assert getattr(outcome["result"], "status", None) == 409, outcome
    session.expire_all()
    assert session.get(Cluster, ids[2]).status == S.NEW
    assert session.scalar(select(func.count(Support.id)).where(Support.cluster_id == ids[0])) == 1


# --- merge and unmerge ------------------------------------------------------------------------------------


def refreshed(session, *clusters):
    from irritants.clusters import stats
    from irritants.ranking import Weights

    stats.refresh(session, Weights(), [c.id for c in clusters])
    for cluster in clusters:
        session.refresh(cluster)


def merge_fixture(session):
    target = make_cluster(session, "Rendez-vous introuvables", reports=0)
    source = make_cluster(session, "Aucun créneau en préfecture", reports=0)
    for person in ("p1", "p2"):
        make_report(session, cluster=target, person_key=person)
    make_report(session, cluster=source, person_key="p3")
    make_report(session, cluster=source)  # nobody known: a person of its own
    for person in ("s1", "p3"):
        support(session, target, person)
    for person in ("s1", "p1", "s4"):
        support(session, source, person)
    refreshed(session, target, source)
    return target, source


def test_merge_moves_reports_and_supports_and_counts_each_person_once(session):
    owner = po(session)
    target, source = merge_fixture(session)
    assert (target.people, source.people) == (4, 5)
    source_reports = set(session.scalars(select(Report.id).where(Report.cluster_id == source.id)))

    merged = triage.merge(session, owner, target.id, [source.id], reason="Même blocage", ranking=RANKING)
    session.commit()
    assert merged.id == target.id
    # p1, p2, p3, the anonymous reporter, s1 and s4: six people, each once.
    assert (merged.size, merged.people, merged.supporters) == (4, 6, 3)
    assert set(session.scalars(select(Report.id).where(Report.cluster_id == target.id))) >= source_reports
    assert report_statuses(session, target.id) == {S.NEW}
    assert all(session.get(Report, i).cluster_locked for i in source_reports)
    session.refresh(source)
    assert (source.status, source.duplicate_of_id, source.size) == (S.DUPLICATE, target.id, 0)
    assert source.closed_at is not None
    [merge_event] = events_of(session, source.id)
    assert merge_event.action == "cluster.merge" and merge_event.after["into"] == target.id
    assert sorted(merge_event.after["reports"]) == sorted(source_reports)
    assert len(merge_event.after["supports"]) == 1  # s4 only: s1 and p1 were already counted in the target
    [absorb] = events_of(session, target.id)
    assert absorb.action == "cluster.absorb" and absorb.after["merged"] == [source.id]


def test_unmerge_restores_exactly_what_moved(session):
    owner = po(session)
    target, source = merge_fixture(session)
    locked = make_report(session, cluster=source, person_key="p9", cluster_locked=True)
    refreshed(session, target, source)
    triage.change_status(session, owner, source.id, S.TRIAGED)
    session.commit()
    before = {
        "target_reports": set(session.scalars(select(Report.id).where(Report.cluster_id == target.id))),
        "source_reports": set(session.scalars(select(Report.id).where(Report.cluster_id == source.id))),
        "target_supports": set(session.scalars(select(Support.id).where(Support.cluster_id == target.id))),
        "source_supports": set(session.scalars(select(Support.id).where(Support.cluster_id == source.id))),
        "counts": [(c.size, c.people, c.supporters) for c in (target, source)],
    }
    triage.merge(session, owner, target.id, [source.id], ranking=RANKING)
    session.commit()
    restored = triage.unmerge(session, owner, source.id, reason="Fusion par erreur", ranking=RANKING)
    session.commit()
    session.expire_all()
    assert set(session.scalars(select(Report.id).where(Report.cluster_id == target.id))) == before["target_reports"]
    assert set(session.scalars(select(Report.id).where(Report.cluster_id == source.id))) == before["source_reports"]
    assert set(session.scalars(select(Support.id).where(Support.cluster_id == target.id))) == before["target_supports"]
    assert set(session.scalars(select(Support.id).where(Support.cluster_id == source.id))) == before["source_supports"]
    target, source = session.get(Cluster, target.id), session.get(Cluster, restored.id)
    assert [(c.size, c.people, c.supporters) for c in (target, source)] == before["counts"]
    assert (source.status, source.duplicate_of_id, source.closed_at) == (S.TRIAGED, None, None)
    assert report_statuses(session, source.id) == {S.TRIAGED}
    # Locks are as they were: only the report that had been moved by hand stays locked.
    assert {
        r.id for r in session.scalars(select(Report).where(Report.cluster_id == source.id, Report.cluster_locked))
    } == {locked.id}
    assert [e.action for e in events_of(session, source.id)] == ["cluster.status", "cluster.merge", "cluster.unmerge"]
    assert [e.action for e in events_of(session, target.id)] == ["cluster.absorb", "cluster.release"]
    with pytest.raises(ValidationFailed, match="rien à défaire"):
        triage.unmerge(session, owner, source.id, ranking=RANKING)


def test_unmerge_after_the_target_itself_was_merged_finds_the_reports_in_the_new_root(session):
    owner = po(session)
    a = make_cluster(session, "A", reports=2)
    t = make_cluster(session, "T", reports=1)
    u = make_cluster(session, "U", reports=1)
    a_reports = set(session.scalars(select(Report.id).where(Report.cluster_id == a.id)))
    triage.merge(session, owner, t.id, [a.id], ranking=RANKING)
    triage.merge(session, owner, u.id, [t.id], ranking=RANKING)
    session.expire_all()
    assert session.get(Cluster, a.id).duplicate_of_id == u.id  # re-pointed to the root
    triage.unmerge(session, owner, a.id, ranking=RANKING)
    session.commit()
    assert set(session.scalars(select(Report.id).where(Report.cluster_id == a.id))) == a_reports
    assert session.get(Cluster, a.id).status == S.NEW
    assert [e.action for e in events_of(session, u.id)] == ["cluster.absorb", "cluster.release"]


def test_merge_refusals_change_nothing(session):
    squad = make_squad(session)
    owner = po(session)
    target = make_cluster(session, "Cible")
    spam = make_cluster(session, "Publicité", status=S.SPAM)
    fixed = make_cluster(session, "Déjà corrigé", status=S.FIXED)
    theirs = make_cluster(session, "Autre équipe", squad_id=squad.id)
    session.commit()
    with pytest.raises(ValidationFailed, match="lui-même"):
        triage.merge(session, owner, target.id, [target.id], ranking=RANKING)
    with pytest.raises(ValidationFailed, match="indésirable"):
        triage.merge(session, owner, spam.id, [target.id], ranking=RANKING)
    with pytest.raises(ValidationFailed) as caught:
        triage.merge(session, owner, target.id, [fixed.id], ranking=RANKING)
    assert "Passage de « Corrigé » à « Doublon » impossible" in caught.value.errors["source_ids"]["0"][0]
    with pytest.raises(Forbidden):
        triage.merge(session, owner, target.id, [theirs.id], ranking=RANKING)
    with pytest.raises(ValidationFailed):
        triage.merge(session, owner, target.id, [], ranking=RANKING)
    with pytest.raises(Exception) as stale:
        triage.merge(session, owner, target.id, [fixed.id - 1], expected_versions={target.id: 7}, ranking=RANKING)
    assert getattr(stale.value, "status", None) in (409, 422)
    session.rollback()
    assert count_events(session) == 0
    assert session.get(Cluster, target.id).size == 3


def test_a_duplicate_cannot_receive_a_merge(session):
    owner = po(session)
    root, dup, other = make_cluster(session, "Racine"), make_cluster(session, "Doublon"), make_cluster(session, "Autre")
    triage.change_status(session, owner, dup.id, S.DUPLICATE, duplicate_of=root.id)
    with pytest.raises(ValidationFailed, match=f"n° {root.id}"):
        triage.merge(session, owner, dup.id, [other.id], ranking=RANKING)


# --- split and move ---------------------------------------------------------------------------------------

RDV = "Impossible d'obtenir un rendez-vous en préfecture pour mon titre de séjour, aucun créneau disponible {n}."
IBAN = "Le formulaire en ligne refuse mon IBAN pourtant valide, message d'erreur à chaque validation {n}."


def mixed_cluster(session, n=3):
    cluster = make_cluster(session, "Mélange", reports=0)
    rdv = [
        make_report(session, cluster=cluster, description=RDV.format(n=i), administration="prefecture")
        for i in range(n)
    ]
    iban = [make_report(session, cluster=cluster, description=IBAN.format(n=i)) for i in range(n)]
    refreshed(session, cluster)
    return cluster, rdv, iban


def test_split_makes_a_new_locked_irritant_with_its_own_label_and_keywords(session):
    owner = po(session)
    cluster, _, iban = mixed_cluster(session)
    new = triage.split(session, owner, cluster.id, [r.id for r in iban], reason="Deux sujets", ranking=RANKING)
    session.commit()
    assert new.id != cluster.id and new.status == S.NEW
    assert (new.size, session.get(Cluster, cluster.id).size) == (3, 3)
    assert "IBAN" in new.label or "formulaire" in new.label.lower()
    assert any("iban" in k.lower() for k in new.keywords)
    assert set(new.excerpt_report_ids) <= {r.id for r in iban}
    assert all(session.get(Report, r.id).cluster_locked for r in iban)
    assert not new.label_locked
    assert [e.action for e in events_of(session, cluster.id)] == ["cluster.split"]
    assert [e.action for e in events_of(session, new.id)] == ["cluster.create"]
    assert events_of(session, new.id)[0].after["split_from"] == cluster.id


def test_split_with_a_chosen_label_locks_it(session):
    owner = po(session)
    cluster, _, iban = mixed_cluster(session, n=2)
    new = triage.split(session, owner, cluster.id, [iban[0].id], label="IBAN refusé", ranking=RANKING)
    assert (new.label, new.label_locked) == ("IBAN refusé", True)


def test_split_refusals(session):
    owner = po(session)
    cluster, rdv, iban = mixed_cluster(session, n=1)
    stranger = make_report(session)
    with pytest.raises(ValidationFailed, match="au moins"):
        triage.split(session, owner, cluster.id, [], ranking=RANKING)
    with pytest.raises(ValidationFailed) as caught:
        triage.split(session, owner, cluster.id, [stranger.id], ranking=RANKING)
    assert "ne font pas partie" in caught.value.errors["report_ids"][0]
    with pytest.raises(ValidationFailed, match="Gardez au moins"):
        triage.split(session, owner, cluster.id, [rdv[0].id, iban[0].id], ranking=RANKING)


def test_move_report_locks_it_and_mirrors_the_new_status(session):
    owner = po(session)
    origin = make_cluster(session, "Origine", reports=2)
    destination = make_cluster(session, "Destination", reports=1, status=S.TRIAGED)
    refreshed(session, origin, destination)
    report = session.scalars(select(Report).where(Report.cluster_id == origin.id)).first()
    moved = triage.move_report(session, owner, report.id, destination.id, reason="Mauvais irritant", ranking=RANKING)
    session.commit()
    assert (moved.cluster_id, moved.cluster_locked, moved.status) == (destination.id, True, S.TRIAGED)
    assert (session.get(Cluster, origin.id).size, session.get(Cluster, destination.id).size) == (1, 2)
    [event] = events_of(session, subject_type="report", subject_id=report.id)
    assert event.action == "report.move" and event.cluster_id == destination.id
    assert event.before["cluster_id"] == origin.id and event.after["cluster_id"] == destination.id
    with pytest.raises(ValidationFailed, match="déjà partie"):
        triage.move_report(session, owner, report.id, destination.id, ranking=RANKING)
    with pytest.raises(NotFoundError):
        triage.move_report(session, owner, 999_999, destination.id, ranking=RANKING)
    triage.change_status(session, owner, origin.id, S.DUPLICATE, duplicate_of=destination.id)
    with pytest.raises(ValidationFailed, match="doublon"):
        triage.move_report(session, owner, report.id, origin.id, ranking=RANKING)


# --- bulk -------------------------------------------------------------------------------------------------


def test_bulk_status_applies_to_all_with_one_event_each(session):
    owner = po(session)
    clusters = [make_cluster(session, f"Irritant {i}", reports=1) for i in range(3)]
    result = bulk.apply(session, owner, [c.id for c in clusters], "status", to=S.TRIAGED, reason="Revue")
    session.commit()
    assert [c.status for c in result.changed] == [S.TRIAGED] * 3 and result.skipped == []
    assert result.summary() == "3 irritants modifiés."
    for cluster in clusters:
        [event] = events_of(session, cluster.id)
        assert (event.action, event.reason) == ("cluster.status", "Revue")


def test_bulk_applies_to_those_that_can_change_and_says_why_for_the_others(session):
    squad = make_squad(session, "Autre équipe")
    owner = po(session)
    good = make_cluster(session, "Bon", reports=1, status=S.TRIAGED)
    closed = make_cluster(session, "Clos", reports=1, status=S.CLOSED_NOT_FIXED)
    theirs = make_cluster(session, "Autre équipe", reports=1, squad_id=squad.id, status=S.TRIAGED)
    session.commit()
    ids = [good.id, closed.id, theirs.id, 999_999]
    result = bulk.apply(session, owner, ids, "status", to=S.CLOSED_NOT_FIXED, reason="Hors feuille de route")
    session.commit()
    assert [c.id for c in result.changed] == [good.id]
    reasons = {s.cluster_id: s.reason for s in result.skipped}
    assert reasons == {
        closed.id: "L'irritant est déjà « Clos sans correction » : rien n'a changé.",
        theirs.id: "Vous ne pouvez pas changer le statut de cet irritant.",
        999_999: "Irritant introuvable.",
    }
    assert session.get(Cluster, good.id).status == S.CLOSED_NOT_FIXED
    assert session.get(Cluster, theirs.id).status == S.TRIAGED
    # One event for the irritant changed, none for those left as they were.
    assert [e.action for e in events_of(session, good.id)] == ["cluster.status"]
    assert events_of(session, closed.id) == [] and events_of(session, theirs.id) == [] and count_events(session) == 1
    assert result.summary() == "1 irritant modifié."
    head, lines = result.skipped_summary()
    assert head == "3 irritants n'ont pas été modifiés :"
    assert lines[0] == f"n° {closed.id} — L'irritant est déjà « Clos sans correction » : rien n'a changé."


def test_bulk_that_changes_nothing_is_refused_with_each_reason(session):
    squad = make_squad(session)
    owner = po(session)
    good = make_cluster(session, "Bon", reports=1)
    closed = make_cluster(session, "Clos", reports=1, status=S.CLOSED_NOT_FIXED)
    theirs = make_cluster(session, "Autre équipe", reports=1, squad_id=squad.id)
    session.commit()
    with pytest.raises(ValidationFailed) as caught:
        bulk.apply(session, owner, [good.id, closed.id], "status", to=S.PLANNED)
    assert caught.value.detail == "Aucun irritant n'a été modifié : 2 irritants ne peuvent pas recevoir cette décision."
    assert set(caught.value.errors["cluster_ids"]) == {"0", "1"}
    assert "Passage de « Nouveau » à « Planifié » impossible" in caught.value.errors["cluster_ids"]["0"][0]
    session.rollback()
    with pytest.raises(ValidationFailed, match="1 irritant ne peut pas recevoir"):
        bulk.apply(session, owner, [closed.id], "status", to=S.PLANNED)
    session.rollback()
    # Refused by the policy for every one of them: the agent has no right here, 403.
    with pytest.raises(Forbidden, match="sur cet irritant") as caught:
        bulk.apply(session, owner, [theirs.id], "spam")
    assert caught.value.errors["cluster_ids"]["0"] == [
        f"Irritant n° {theirs.id} : Cet irritant est suivi par une autre start-up d'État."
    ]
    session.rollback()
    with pytest.raises(Forbidden):
        bulk.apply(session, agent(session, "manager"), [good.id, closed.id], "pin")
    session.rollback()
    assert count_events(session) == 0
    assert session.get(Cluster, good.id).status == S.NEW and not session.get(Cluster, good.id).pinned


def test_bulk_assign_pin_unpin_and_spam(session):
    squad = make_squad(session)
    owner = po(session, squads=[squad])
    clusters = [make_cluster(session, f"Irritant {i}", reports=1) for i in range(2)]
    ids = [c.id for c in clusters]
    bulk.apply(session, owner, ids, "assign", squad_id=squad.id)
    bulk.apply(session, owner, ids, "pin")
    again = bulk.apply(session, owner, [*ids, ids[0]], "unpin")
    assert len(again.changed) == 2  # an id given twice counts once
    with pytest.raises(ValidationFailed) as caught:
        bulk.apply(session, owner, ids, "unpin")
    assert caught.value.errors["cluster_ids"]["1"] == [f"Irritant n° {ids[1]} : Il n'est pas épinglé."]
    bulk.apply(session, owner, ids, "spam", reason="Publicité")
    session.commit()
    for cluster in clusters:
        assert (cluster.squad_id, cluster.pinned, cluster.status) == (squad.id, False, S.SPAM)
        actions = [e.action for e in events_of(session, cluster.id)]
        assert actions == ["cluster.assign", "cluster.pin", "cluster.pin", "cluster.status"]
    with pytest.raises(ValidationFailed):
        bulk.apply(session, owner, ids, "delete")
    with pytest.raises(ValidationFailed):
        bulk.apply(session, owner, ids, "status", to=S.DUPLICATE)
    with pytest.raises(ValidationFailed):
        bulk.apply(session, owner, ids, "status")
    with pytest.raises(ValidationFailed) as caught:  # a fault of the request itself is said once
        bulk.apply(session, owner, ids, "status", to=S.NOT_OUR_SCOPE)
    assert list(caught.value.errors) == ["routed_to"]


def test_bulk_skips_an_irritant_changed_concurrently_and_applies_the_others(app, session):
    from irritants.db import get_db

    owner, other_owner = po(session), po(session)
    first, second = make_cluster(session, "Premier", reports=1), make_cluster(session, "Second", reports=1)
    session.commit()
    other = get_db(app).write_sessions()
    try:
        # The bulk request has read both irritants when someone else's change to the second one commits.
        ids = list(other.scalars(select(Cluster.id).where(Cluster.id.in_([first.id, second.id])).order_by(Cluster.id)))
        loaded = list(other.scalars(select(Cluster).where(Cluster.id.in_(ids))))  # kept: the identity map is weak
        other.commit()
        triage.set_pinned(session, owner, second.id, True)
        session.commit()
        result = bulk.apply(other, other_owner, ids, "status", to=S.TRIAGED)
        other.commit()
        assert [c.id for c in result.changed] == [first.id]
        assert [(s.cluster_id, "modifié entre-temps" in s.reason) for s in result.skipped] == [(second.id, True)]
        assert len(loaded) == 2
    finally:
        other.close()
    session.expire_all()
    assert (session.get(Cluster, first.id).status, session.get(Cluster, second.id).status) == (S.TRIAGED, S.NEW)
    assert [e.action for e in events_of(session, second.id)] == ["cluster.pin"]


def test_handing_an_irritant_to_a_squad_one_is_not_in_needs_confirmation(session):
    mine, theirs = make_squad(session, "Ma start-up"), make_squad(session, "Leur start-up")
    owner = po(session, squads=[mine])
    cluster = make_cluster(session, reports=1)
    session.commit()
    with pytest.raises(triage.TransferNotConfirmed) as caught:
        triage.assign_squad(session, owner, cluster.id, theirs.id)
    assert caught.value.status == 422
    assert (
        "Après ce transfert, seuls les responsables produit de « Leur start-up » et les administrateurs pourront "
        "agir sur cet irritant ou vous le rendre."
    ) in caught.value.detail
    assert session.get(Cluster, cluster.id).squad_id is None and count_events(session) == 0
    with pytest.raises(triage.TransferNotConfirmed, match="agir sur ces irritants ou vous les rendre"):
        bulk.apply(session, owner, [cluster.id], "assign", squad_id=theirs.id)
    # Their own squad, none, or an administrator: no question asked.
    triage.assign_squad(session, owner, cluster.id, mine.id)
    triage.assign_squad(session, owner, cluster.id, None)
    admin = agent(session, "admin")
    triage.assign_squad(session, admin, cluster.id, theirs.id)
    triage.assign_squad(session, admin, cluster.id, None)
    triage.assign_squad(session, owner, cluster.id, theirs.id, confirm_transfer=True)
    session.commit()
    assert session.get(Cluster, cluster.id).squad_id == theirs.id
    with pytest.raises(Forbidden):  # and indeed, it is out of their hands now
        triage.set_pinned(session, owner, cluster.id, True)


# --- reply templates --------------------------------------------------------------------------------------


def test_templates_shared_and_per_squad(session):
    squad, other = make_squad(session), make_squad(session, "Autre équipe")
    owner = po(session, squads=[squad])
    member = agent(session, "squad_member", squads=[squad])
    outsider = agent(session, "squad_member", squads=[other])
    shared = triage.create_template(session, owner, "Transmis", "Nous avons transmis votre signalement.")
    ours = triage.create_template(session, member, "En cours", "L'équipe travaille dessus.", squad_id=squad.id)
    with pytest.raises(Forbidden):
        triage.create_template(session, member, "Partagé", "Texte", squad_id=None)
    with pytest.raises(Forbidden, match="vos start-ups"):
        triage.create_template(session, owner, "Ailleurs", "Texte", squad_id=other.id)
    with pytest.raises(ValidationFailed) as caught:
        triage.create_template(session, owner, " ", "")
    assert set(caught.value.errors) == {"title", "body"}

    assert [t.id for t in triage.list_templates(session, member)] == [shared.id, ours.id]
    assert [t.id for t in triage.list_templates(session, outsider)] == [shared.id]
    with pytest.raises(NotFoundError):
        triage.update_template(session, outsider, ours.id, "Piraté", "Texte")
    with pytest.raises(Forbidden):
        triage.delete_template(session, outsider, shared.id)

    triage.update_template(session, member, ours.id, "En cours", "L'équipe travaille dessus.")  # unchanged
    triage.update_template(session, member, ours.id, "En cours de correction", "L'équipe corrige.")
    triage.delete_template(session, owner, shared.id)
    session.commit()
    actions = [(e.action, e.subject_id) for e in events_of(session, subject_type="template")]
    assert actions == [
        ("template.create", shared.id),
        ("template.create", ours.id),
        ("template.update", ours.id),
        ("template.delete", shared.id),
    ]


def test_a_template_is_the_reason_of_a_decision(session):
    owner = po(session)
    cluster = make_cluster(session)
    template = triage.create_template(session, owner, "Qualifié", "Merci, nous étudions ce blocage.")
    reason = triage.reason_with_template(session, owner, template.id, "Priorité haute.")
    triage.change_status(session, owner, cluster.id, S.TRIAGED, reason=reason)
    [event] = events_of(session, cluster.id)
    assert event.reason == "Merci, nous étudions ce blocage.\n\nPriorité haute."
    with pytest.raises(ValidationFailed):
        triage.reason_with_template(session, owner, 987_654, None)


# --- re-clustering respects the decisions -----------------------------------------------------------------


def recluster(app):
    result = app.test_cli_runner().invoke(args=["recluster"])
    assert result.exit_code == 0, result.output


def members(session, cluster_id):
    return set(session.scalars(select(Report.id).where(Report.cluster_id == cluster_id)))


def test_a_split_survives_reclustering(make_app):
    from irritants.db import get_db

    app = make_app(CLUSTERING_ENCODER="tfidf")
    with app.app_context(), get_db(app).session_scope() as s:
        owner = po(s)
        cluster = make_cluster(s, "Rendez-vous", reports=0)
        reports = [
            make_report(s, cluster=cluster, description=RDV.format(n=i), administration="prefecture") for i in range(6)
        ]
        other = make_cluster(s, "IBAN refusé", reports=0)
        for i in range(4):
            make_report(s, cluster=other, description=IBAN.format(n=i))
        # Texts the clustering would put back together: only the decision keeps them apart.
        new = triage.split(
            s, owner, cluster.id, [reports[0].id, reports[1].id], label="Créneaux du lundi", ranking=RANKING
        )
        s.commit()
        origin_id, new_id, split_ids = cluster.id, new.id, {reports[0].id, reports[1].id}
    recluster(app)
    recluster(app)
    with app.app_context(), get_db(app).session_scope() as s:
        assert members(s, new_id) == split_ids
        assert members(s, origin_id).isdisjoint(split_ids)
        assert s.get(Cluster, new_id).label == "Créneaux du lundi"


def test_spam_and_merged_away_irritants_are_not_resurrected_nor_fed(make_app):
    from irritants.db import get_db

    app = make_app(CLUSTERING_ENCODER="tfidf")
    with app.app_context(), get_db(app).session_scope() as s:
        owner = po(s)
        rdv = make_cluster(s, "Rendez-vous", reports=0)
        iban = make_cluster(s, "IBAN refusé", reports=0)
        spam = make_cluster(s, "Publicité", reports=0)
        for i in range(4):
            make_report(s, cluster=rdv, description=RDV.format(n=i), administration="prefecture")
            make_report(s, cluster=iban, description=IBAN.format(n=i))
        spam_ids = {
            make_report(s, cluster=spam, description=RDV.format(n=f"spam {i}"), administration="prefecture").id
            for i in range(3)
        }
        loose = {
            make_report(s, description=RDV.format(n=f"nouveau {i}"), administration="prefecture").id for i in range(3)
        }
        triage.change_status(s, owner, spam.id, S.SPAM)
        triage.merge(s, owner, rdv.id, [iban.id], ranking=RANKING)
        triage.change_status(s, owner, rdv.id, S.TRIAGED)
        s.commit()
        ids = {"rdv": rdv.id, "iban": iban.id, "spam": spam.id}
        merged = members(s, rdv.id)
    recluster(app)
    with app.app_context(), get_db(app).session_scope() as s:
        assert members(s, ids["spam"]) == spam_ids  # kept, and nothing new joined it
        assert members(s, ids["iban"]) == set()
        merged_away = s.get(Cluster, ids["iban"])
        assert (merged_away.status, merged_away.duplicate_of_id) == (S.DUPLICATE, ids["rdv"])
        assert members(s, ids["rdv"]) >= merged
        assert not loose & spam_ids
        for report_id in loose:
            report = s.get(Report, report_id)
            assert report.cluster_id not in (ids["spam"], ids["iban"])
            assert report.status == s.get(Cluster, report.cluster_id).status  # mirrors its new irritant
