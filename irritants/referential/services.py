"""Reference data lookups and loading."""

from __future__ import annotations

import csv
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from irritants.referential import cache
from irritants.referential.models import Administration, Channel, Procedure, Territory


def administration_by_slug(session: Session, slug: str) -> Administration | None:
    """The active administration with this slug."""
    return session.scalar(select(Administration).where(Administration.slug == slug, Administration.active))


def administration_exists(session: Session, slug: str) -> bool:
    """Whether an administration (active or not: old reports keep theirs) has this slug."""
    return session.scalar(select(Administration.id).where(Administration.slug == slug)) is not None


def list_administrations(session: Session) -> list[Administration]:
    """Active administrations with their démarches, by name (read-only copies kept a while: ``cache.kept_list``)."""
    stmt = (
        select(Administration)
        .where(Administration.active)
        .options(selectinload(Administration.procedures))
        .order_by(Administration.name)
    )
    return cache.kept_list(session, "administrations", lambda own: list(own.scalars(stmt)))


def list_territories(session: Session) -> list[Territory]:
    """All départements, in INSEE order (read-only copies kept a while)."""
    stmt = select(Territory).order_by(Territory.code)
    return cache.kept_list(session, "territories", lambda own: list(own.scalars(stmt)))


def list_channels(session: Session) -> list[Channel]:
    """Contact channels in display order (read-only copies kept a while)."""
    stmt = select(Channel).order_by(Channel.position, Channel.code)
    return cache.kept_list(session, "channels", lambda own: list(own.scalars(stmt)))


def _data_file(name: str) -> Any:
    return resources.files("irritants.referential").joinpath("data", name)


@dataclass(frozen=True)
class Choice:
    """One entry of a form's list read from the bundled files, shaped like the model the form otherwise shows
    (``slug``/``code``, ``name``/``label``, an administration's ``procedures``)."""

    code: str
    name: str
    procedures: tuple[Choice, ...] = ()

    @property
    def slug(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class FormChoices:
    administrations: list[Any]
    territories: list[Any]
    channels: list[Any]


def form_choices(session: Session) -> FormChoices:
    """The lists of the report form, from the database."""
    return FormChoices(list_administrations(session), list_territories(session), list_channels(session))


@functools.cache
def bundled_form_choices() -> FormChoices:
    """The lists of the report form from the bundled files, for a form given back while the database is unreachable
    (the citizen's choices stay selected as long as the référentiel in the database is the bundled one)."""
    with _data_file("administrations.json").open(encoding="utf-8") as fh:
        administrations = [
            Choice(a["slug"], a["name"], tuple(Choice(p["slug"], p["name"]) for p in a.get("procedures", [])))
            for a in json.load(fh)
        ]
    with _data_file("territories.csv").open(encoding="utf-8") as fh:
        territories = [Choice(row["code"], row["name"]) for row in csv.DictReader(fh)]
    with _data_file("channels.csv").open(encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda row: (int(row["position"]), row["code"]))
        channels = [Choice(row["code"], row["label"]) for row in rows]
    return FormChoices(sorted(administrations, key=lambda a: a.name), territories, channels)


def bundled_codes() -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Administration slugs with their démarches, territory codes and channel codes of the bundled files."""
    with _data_file("administrations.json").open(encoding="utf-8") as fh:
        administrations = {a["slug"]: [p["slug"] for p in a.get("procedures", [])] for a in json.load(fh)}
    with _data_file("territories.csv").open(encoding="utf-8") as fh:
        territories = [row["code"] for row in csv.DictReader(fh)]
    with _data_file("channels.csv").open(encoding="utf-8") as fh:
        channels = [row["code"] for row in csv.DictReader(fh)]
    return administrations, territories, channels


def load_reference_data(session: Session) -> dict[str, int]:
    """Insert or update the bundled référentiel (idempotent); returns counts per table."""
    counts = {"territories": 0, "administrations": 0, "procedures": 0, "channels": 0}
    with _data_file("territories.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            territory = session.get(Territory, row["code"]) or Territory(code=row["code"])
            territory.name, territory.region_code, territory.region_name = (
                row["name"],
                row["region_code"],
                row["region_name"],
            )
            session.add(territory)
            counts["territories"] += 1
    with _data_file("channels.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            channel = session.get(Channel, row["code"]) or Channel(code=row["code"])
            channel.label, channel.position = row["label"], int(row["position"])
            session.add(channel)
            counts["channels"] += 1
    with _data_file("administrations.json").open(encoding="utf-8") as fh:
        entries = json.load(fh)
    for entry in entries:
        administration = session.scalar(select(Administration).where(Administration.slug == entry["slug"]))
        if administration is None:
            administration = Administration(slug=entry["slug"])
            session.add(administration)
        administration.name = entry["name"]
        administration.acronym = entry.get("acronym")
        # Optional: where reports of an irritant routed to this body are forwarded (notify/forwarding.py).
        administration.contact_email = entry.get("contact_email") or None
        administration.active = True
        existing = {p.slug: p for p in administration.procedures}
        for item in entry.get("procedures", []):
            procedure = existing.get(item["slug"])
            if procedure is None:
                procedure = Procedure(slug=item["slug"])
                administration.procedures.append(procedure)
            procedure.name = item["name"]
            procedure.active = True
            counts["procedures"] += 1
        counts["administrations"] += 1
    session.flush()
    cache.invalidate()
    return counts
