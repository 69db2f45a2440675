"""Which administrations an irritant concerns, and what that means for a correspondant: the policy's context for an
irritant (``administrations=``), and the backlog's administration filter forced to theirs. No Flask here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.auth.exceptions import raise_for
from irritants.auth.policy import Action, Agent, decide, forced_administration
from irritants.intake.models import Report
from irritants.referential.models import Administration

OTHER_ADMINISTRATION = "Votre compte ne voit que les irritants de votre administration : ce filtre ne peut pas changer."


def concerned(session: Session, cluster_id: int) -> frozenset[str]:
    """Slugs of the administrations the irritant's reports were made about."""
    stmt = (
        select(Administration.slug)
        .join(Report, Report.administration_id == Administration.id)
        .where(Report.cluster_id == cluster_id)
        .distinct()
    )
    return frozenset(session.scalars(stmt))


def check(session: Session, agent: Agent, action: Action, cluster: Any) -> None:
    """Ask the policy about ``action`` on an irritant, with the administrations it concerns; raise its 403/404."""
    # Only a correspondant's answer depends on them: nobody else pays for the query.
    administrations = concerned(session, cluster.id) if forced_administration(agent) else frozenset()
    decision = decide(agent, action, cluster, administrations=administrations)
    if not decision:
        raise_for(decision)


def narrowed(agent: Agent, requested: str | None) -> tuple[str | None, list[str]]:
    """The administration filter to apply for ``agent`` (a correspondant's own, whatever was asked), and the message
    telling them when the URL asked for another one (empty otherwise)."""
    forced = forced_administration(agent)
    if forced is None:
        return requested, []
    return forced, [OTHER_ADMINISTRATION] if requested not in (None, forced) else []
