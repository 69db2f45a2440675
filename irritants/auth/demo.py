"""Demo agents for a newcomer's local service: one account per role, random passwords shown once.

Only `irritants setup` in development calls this, and only on an empty users table.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from irritants.auth.accounts import create_user
from irritants.auth.models import User
from irritants.auth.passwords import generate_password
from irritants.squads.demo import create_demo_squads

DEMO_AGENTS = (
    ("admin@demo.irritants.fr", "Administratrice (démo)", ("admin",), ()),
    ("responsable@demo.irritants.fr", "Responsable produit (démo)", ("product_owner",), ("rendez-vous-prefecture",)),
    ("equipe@demo.irritants.fr", "Membre d'équipe (démo)", ("squad_member",), ("rendez-vous-prefecture",)),
    ("pilotage@demo.irritants.fr", "Pilotage (démo)", ("manager",), ()),
    ("correspondant.caf@demo.irritants.fr", "Correspondant de la CAF (démo)", ("correspondant",), ()),
)
# The administration each demo correspondant speaks for (reference data: `irritants load-reference`).
DEMO_ADMINISTRATIONS = {"correspondant.caf@demo.irritants.fr": "caf"}


def create_demo_agents(session: Session) -> list[tuple[str, str, str]]:
    """Demo squads and one agent per role when no agent exists yet; returns (email, name, password)."""
    if session.scalar(select(func.count()).select_from(User)):
        return []
    create_demo_squads(session)
    session.flush()
    created = []
    for email, name, roles, squads in DEMO_AGENTS:
        password = generate_password()
        create_user(
            session,
            email,
            roles,
            name=name,
            password=password,
            squad_slugs=squads,
            administration=DEMO_ADMINISTRATIONS.get(email),
        )
        created.append((email, name, password))
    return created
