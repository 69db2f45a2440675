"""« Mon équipe »: the squads an agent belongs to, each with the irritants it owns (read through triage)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from irritants.auth.policy import Agent
from irritants.squads import backlog
from irritants.squads.models import Squad
from irritants.triage import services as triage


@dataclass(frozen=True)
class Team:
    squad: Squad
    owned: list[triage.SquadIrritant]


def squads_of(session: Session, agent: Agent) -> list[Team]:
    """The agent's squads by name, each with the irritants it owns (most people affected first)."""
    squads = sorted((backlog.get_squad(session, i) for i in agent.squads), key=lambda s: s.name)
    return [Team(squad, triage.squad_irritants(session, squad.id)) for squad in squads]
