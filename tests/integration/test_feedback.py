"""« Est-ce résolu pour vous ? » through the real services and database: asked only once the irritant is fixed,
one answer per report or « moi aussi », changeable, the perceived rate and the flag at their edges, merges."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from irritants.audit.models import Event
from irritants.auth.services import agent_for
from irritants.clusters.models import Support
from irritants.feedback import services as feedback
from irritants.feedback.exceptions import NotFixedYet
from irritants.feedback.models import Answer, ResolutionAnswer
from irritants.intake.models import Report
from irritants.settings import FeedbackSettings
from irritants.status import StatusKind
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_report, make_squad, make_user

SETTINGS = FeedbackSettings(unresolved_share=0.3, unresolved_min_answers=5)


def fixed_cluster(session, reports=0, **fields):
    return make_cluster(session, reports=reports, status=StatusKind.FIXED, **fields)


def answer_all(session, cluster, *answers):
    for value in answers:
        feedback.answer(session, value, report=make_report(session, cluster=cluster))
    session.flush()


def count_rows(session):
    return session.scalar(select(func.count()).select_from(ResolutionAnswer))


@pytest.mark.parametrize("status", [StatusKind.NEW, StatusKind.IN_PROGRESS, StatusKind.CLOSED_NOT_FIXED])
def test_no_answer_before_the_fix(session, status):
    cluster = make_cluster(session, reports=1, status=status)
    report = make_report(session, cluster=cluster)
    with pytest.raises(NotFixedYet) as caught:
        feedback.answer(session, Answer.YES, report=report)
    assert caught.value.status == 409
    assert count_rows(session) == 0


def test_a_report_without_an_irritant_is_not_asked(session):
    report = make_report(session)
    with pytest.raises(NotFixedYet):
        feedback.answer(session, Answer.NO, report=report)


def test_one_answer_per_report_changeable_and_regressed_still_asked(session):
    cluster = fixed_cluster(session)
    report = make_report(session, cluster=cluster)
    first = feedback.answer(session, Answer.YES, report=report)
    assert (first.answer, first.changed_at, first.cluster_id) == (Answer.YES, None, cluster.id)
    feedback.answer(session, Answer.YES, report=report)  # the same answer again: nothing changes
    assert first.changed_at is None
    cluster.status = StatusKind.REGRESSED
    changed = feedback.answer(session, Answer.NO, report=report)
    session.commit()
    assert changed.id == first.id and changed.answer == Answer.NO and changed.changed_at is not None
    assert count_rows(session) == 1
    assert feedback.answer_of(session, report_id=report.id) == Answer.NO


def test_the_database_refuses_a_second_row_for_one_report_and_a_row_for_nobody(session):
    cluster = fixed_cluster(session)
    report = make_report(session, cluster=cluster)
    feedback.answer(session, Answer.YES, report=report)
    session.commit()
    session.add(ResolutionAnswer(cluster_id=cluster.id, report_id=report.id, answer=Answer.NO))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    session.add(ResolutionAnswer(cluster_id=cluster.id, answer=Answer.NO))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_supporters_answer_once_for_their_support(session):
    cluster = fixed_cluster(session, reports=1)
    support = Support(cluster_id=cluster.id, person_key="s1")
    session.add(support)
    session.flush()
    feedback.answer(session, Answer.PARTLY, support=support)
    feedback.answer(session, Answer.YES, support=support)
    session.commit()
    assert count_rows(session) == 1
    assert feedback.answer_of(session, support_id=support.id) == Answer.YES
    assert feedback.perceived_rate(session, SETTINGS, cluster.id).yes == 1


def test_rate_counts_partly_as_half_and_waits_for_the_minimum(session):
    cluster = fixed_cluster(session)
    answer_all(session, cluster, Answer.YES, Answer.YES, Answer.NO, Answer.PARTLY)
    four = feedback.perceived_rate(session, SETTINGS, cluster.id)
    assert (four.answers, four.yes, four.no, four.partly, four.enough, four.rate) == (4, 2, 1, 1, False, None)
    answer_all(session, cluster, Answer.PARTLY)
    five = feedback.perceived_rate(session, SETTINGS, cluster.id)
    assert five.enough and five.rate == pytest.approx((2 + 0.5 * 2) / 5)
    assert five.as_dict() == {"answers": 5, "yes": 2, "no": 1, "partly": 2, "rate": 0.6, "flagged": False}


@pytest.mark.parametrize(
    ("yes", "no", "flagged"),
    [
        (4, 1, False),  # 5 answers, 20 % « non »
        (7, 3, True),  # 10 answers, exactly 30 % « non »: the threshold is reached
        (8, 2, False),  # 10 answers, 20 %
        (0, 4, False),  # every answer « non », but one answer short of the minimum
        (3, 2, True),  # 5 answers, the minimum, 40 %
    ],
)
def test_flag_at_the_edges_of_share_and_minimum(session, yes, no, flagged):
    cluster = fixed_cluster(session)
    answer_all(session, cluster, *[Answer.YES] * yes, *[Answer.NO] * no)
    assert feedback.unresolved_flag(session, SETTINGS, cluster.id) is flagged
    assert (cluster.id in feedback.unresolved_cluster_ids(session, SETTINGS)) is flagged


def test_thresholds_come_from_the_settings(session):
    cluster = fixed_cluster(session)
    answer_all(session, cluster, Answer.YES, Answer.NO)
    strict = FeedbackSettings(unresolved_share=0.5, unresolved_min_answers=2)
    assert feedback.perceived_rate(session, strict, cluster.id).flagged
    assert not feedback.perceived_rate(session, FeedbackSettings(0.51, 2), cluster.id).flagged


def test_answers_of_reports_merged_into_the_fixed_irritant_count_for_it(session):
    owner = agent_for(session, make_user(session, "product_owner"))
    target = fixed_cluster(session, reports=1)
    source = make_cluster(session, "Aucun créneau en préfecture", reports=2)
    answer_all(session, target, Answer.YES)
    triage.merge(session, owner, target.id, [source.id], ranking=RANKING)
    merged_reports = feedback_reports(session, source)
    for report in merged_reports:  # now in the fixed irritant: asked about it
        feedback.answer(session, Answer.NO, report=report)
    session.commit()
    rate = feedback.perceived_rate(session, SETTINGS, target.id)
    assert (rate.answers, rate.yes, rate.no) == (3, 1, 2)
    assert feedback.perceived_rate(session, SETTINGS, source.id).answers == 0


def feedback_reports(session, source):
    """The reports a merge carried out of ``source`` (read from its merge event)."""
    event = session.scalars(select(Event).where(Event.action == "cluster.merge", Event.subject_id == source.id)).one()
    return [session.get(Report, i) for i in event.after["reports"]]


def test_reports_of_an_irritant_marked_duplicate_answer_about_the_original(session):
    original = fixed_cluster(session, reports=1)
    duplicate = make_cluster(session, "Autre façon de le dire", reports=0)
    report = make_report(session, cluster=duplicate)
    duplicate.status, duplicate.duplicate_of_id = StatusKind.DUPLICATE, original.id
    session.flush()
    row = feedback.answer(session, Answer.PARTLY, report=report)
    assert row.cluster_id == original.id
    # An answer stored about the duplicate (before it was marked so) is counted for the original as well.
    other = make_report(session, cluster=duplicate)
    session.add(ResolutionAnswer(cluster_id=duplicate.id, report_id=other.id, answer=Answer.YES))
    session.flush()
    rate = feedback.perceived_rate(session, SETTINGS, original.id)
    assert (rate.answers, rate.partly, rate.yes) == (2, 1, 1)


def test_a_squads_rate_adds_up_the_answers_of_its_irritants(session):
    squad = make_squad(session)
    first = fixed_cluster(session, squad_id=squad.id)
    second = fixed_cluster(session, squad_id=squad.id)
    elsewhere = fixed_cluster(session)
    answer_all(session, first, Answer.YES, Answer.YES, Answer.NO)
    answer_all(session, second, Answer.PARTLY, Answer.NO)
    answer_all(session, elsewhere, Answer.NO, Answer.NO)
    rate = feedback.squad_rate(session, SETTINGS, squad.id)
    assert (rate.answers, rate.yes, rate.no, rate.partly) == (5, 2, 2, 1)
    assert rate.rate == pytest.approx(0.5)
    assert feedback.squad_rate(session, SETTINGS, make_squad(session, "Vide").id).answers == 0
