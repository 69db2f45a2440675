"""Demo start-ups d'État for a newcomer's local service: a profile and a dated phase history each, so that their
public pages (``/startups/<slug>``) show a living example. Only ``irritants setup`` in development calls this."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.squads import backlog, services
from irritants.squads.models import Squad
from irritants.squads.phases import SquadPhase

P = SquadPhase


@dataclass(frozen=True)
class DemoSquad:
    name: str
    slug: str
    mission: str
    administration: str
    incubator: str
    product_url: str | None
    phases: tuple[tuple[SquadPhase, dt.date, str | None], ...]  # oldest first
    items: tuple[tuple[str, int | None], ...] = ()  # its product backlog: title and points, in order


DEMO_SQUADS = (
    DemoSquad(
        "Rendez-vous en préfecture",
        "rendez-vous-prefecture",
        "Permettre à chacun d'obtenir un rendez-vous en préfecture pour un titre de séjour ou un permis sans passer "
        "ses nuits à guetter un créneau : des créneaux ouverts à heure fixe, une file d'attente honnête et une "
        "confirmation qui arrive.",
        "prefecture",
        "Incubateur du ministère de l'Intérieur",
        "https://rdv-prefecture.beta.gouv.fr",
        (
            (P.INVESTIGATION, dt.date(2025, 9, 15), "Entretiens avec des usagers et des agents de trois préfectures."),
            (P.CONSTRUCTION, dt.date(2026, 3, 2), "Un premier département pilote ouvre ses créneaux à heure fixe."),
        ),
        (
            ("Ouvrir les créneaux à heure fixe, annoncée à l'avance", 5),
            ("Confirmer chaque rendez-vous par courriel et par SMS", 3),
            ("Permettre d'annuler en ligne pour libérer le créneau", 2),
        ),
    ),
    DemoSquad(
        "Aides au logement",
        "aides-logement",
        "Qu'aucun foyer ne perde son aide au logement pour un justificatif égaré ou une déclaration mal comprise : "
        "des pièces demandées une seule fois, des suspensions expliquées et un recours en ligne.",
        "caf",
        "Fabrique numérique des ministères sociaux",
        "https://aides-logement.beta.gouv.fr",
        (
            (P.INVESTIGATION, dt.date(2024, 11, 4), None),
            (P.CONSTRUCTION, dt.date(2025, 3, 3), "Premier service en ligne ouvert dans deux départements."),
            (P.ACCELERATION, dt.date(2025, 10, 6), "Ouvert dans toute la France métropolitaine."),
        ),
        (
            ("Expliquer chaque suspension d'aide dans le courrier", 3),
            ("Ne demander chaque justificatif qu'une seule fois", 8),
            ("Recours en ligne contre une suspension", None),
        ),
    ),
)


def create_demo_squads(session: Session) -> list[Squad]:
    """The demo squads missing from the database, each with its profile, dated phases (audited as the system) and a
    few backlog items."""
    created = []
    for demo in DEMO_SQUADS:
        if session.scalar(select(Squad.id).where(Squad.slug == demo.slug)) is not None:
            continue
        (first, since, _), *later = demo.phases
        squad = services.create_squad(
            session,
            None,
            {
                "name": demo.name,
                "slug": demo.slug,
                "mission": demo.mission,
                "administration": demo.administration,
                "incubator": demo.incubator,
                "product_url": demo.product_url,
                "phase": first,
                "started_on": since,
            },
        )
        for phase, day, note in later:
            services.change_phase(session, None, squad, {"phase": phase, "started_on": day, "note": note})
        for title, points in demo.items:  # a product backlog, so that the squad's page is not empty
            backlog.create_item(session, None, squad.id, title=title, points=points)
        created.append(squad)
    return created
