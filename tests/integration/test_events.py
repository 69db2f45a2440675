"""The notification seam (``irritants/events.py``): every decision sends its event inside its transaction, the
session as sender, so that what a subscriber writes (the mail outbox of a later issue) commits with the decision
or rolls back with it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from irritants import events
from irritants.audit import services as audit
from irritants.audit.models import Event
from irritants.auth.services import agent_for
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.status import StatusKind
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_report, make_squad, make_user

S = StatusKind
DECISION_EVENTS = (
    "status_changed",
    "squad_assigned",
    "clusters_merged",
    "merge_undone",
    "cluster_split",
    "report_moved",
)


@contextlib.contextmanager
def heard() -> Iterator[list[tuple[str, Any, dict[str, Any]]]]:
    got: list[tuple[str, Any, dict[str, Any]]] = []
    receivers = {}
    for name in DECISION_EVENTS:

        def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
            got.append((_name, sender, kwargs))

        receivers[name] = receiver
        getattr(events, name).connect(receiver)
    try:
        yield got
    finally:
        for name, receiver in receivers.items():
            getattr(events, name).disconnect(receiver)


def test_each_decision_sends_its_event_with_the_session_and_plain_ids(session):
    squad = make_squad(session)
    owner = agent_for(session, make_user(session, "product_owner", squads=[squad]))
    target = make_cluster(session, squad_id=squad.id)
    other = make_cluster(session, "Formulaire qui refuse un IBAN valide", reports=2)
    loose = make_report(session)
    with heard() as got:
        triage.change_status(session, owner, target.id, S.TRIAGED, public_note="Nous examinons ce blocage.")
        triage.assign_squad(session, owner, other.id, squad.id)
        triage.merge(session, owner, target.id, [other.id], ranking=RANKING)
        triage.unmerge(session, owner, other.id, ranking=RANKING)
        new = triage.split(session, owner, other.id, [_one_report_of(session, other.id)], ranking=RANKING)
        triage.move_report(session, owner, loose.id, target.id, ranking=RANKING)
    assert [name for name, _, _ in got] == list(DECISION_EVENTS)
    assert all(sender is session for _, sender, _ in got)
    sent = {name: kwargs for name, _, kwargs in got}
    assert sent["status_changed"] == {
        "cluster_id": target.id,
        "before": S.NEW,
        "after": S.TRIAGED,
        "agent": owner,
        "public_note": "Nous examinons ce blocage.",
    }
    assert sent["squad_assigned"] == {"cluster_id": other.id, "before": None, "after": squad.id, "agent": owner}
    assert sent["clusters_merged"] == {"target_id": target.id, "source_ids": [other.id], "agent": owner}
    assert sent["merge_undone"] == {"source_id": other.id, "target_id": target.id, "agent": owner}
    assert sent["cluster_split"]["cluster_id"] == other.id and sent["cluster_split"]["new_cluster_id"] == new.id
    assert sent["report_moved"] == {
        "report_id": loose.id,
        "from_cluster_id": None,
        "to_cluster_id": target.id,
        "agent": owner,
    }


def _one_report_of(session, cluster_id: int) -> int:
    return session.scalar(select(Report.id).where(Report.cluster_id == cluster_id).order_by(Report.id).limit(1))


def test_what_a_subscriber_writes_commits_or_rolls_back_with_the_decision(app):
    def outbox(session: Any, *, cluster_id: int, **_: Any) -> None:  # stands for the mail outbox of a later issue
        audit.record(session, None, "outbox.mail", "cluster", cluster_id, cluster_id=cluster_id)

    def written(s) -> int:
        return len(s.scalars(select(Event.id).where(Event.action == "outbox.mail")).all())

    events.status_changed.connect(outbox)
    try:
        with get_db(app).session_scope() as s:
            owner = agent_for(s, make_user(s, "product_owner"))
            cluster_id = make_cluster(s).id
            s.commit()
        with get_db(app).session_scope() as s:
            triage.change_status(s, owner, cluster_id, S.TRIAGED)
            assert written(s) == 1  # in the decision's transaction
            s.rollback()
        with get_db(app).session_scope() as s:
            assert written(s) == 0
            triage.change_status(s, owner, cluster_id, S.TRIAGED)
            s.commit()
        with get_db(app).session_scope() as s:
            assert written(s) == 1
    finally:
        events.status_changed.disconnect(outbox)
