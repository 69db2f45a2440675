"""An irritant's audit events told in French for its back-office page: who, when, what changed, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from irritants.audit.models import Event
from irritants.status import STATUS_LABELS_AGENT, StatusKind

TITLES = {
    "cluster.status": "Changement de statut",
    "cluster.assign": "Start-up d’État",
    "cluster.pin": "Épinglage",
    "cluster.label": "Libellé et mots-clés",
    "cluster.merge": "Fusionné dans un autre irritant",
    "cluster.absorb": "Fusion d’autres irritants dans celui-ci",
    "cluster.unmerge": "Fusion annulée",
    "cluster.release": "Signalements rendus après une fusion annulée",
    "cluster.repoint": "Doublon rattaché à un autre irritant",
    "cluster.split": "Scission",
    "cluster.create": "Création par scission",
    "report.move": "Signalement déplacé",
    "cluster.not_same": "Proposition de fusion écartée",
    "cluster.describe": "Libellé et mots-clés recalculés",
    "cluster.answer": "Réponse publique d’une administration",
}


@dataclass(frozen=True)
class Detail:
    """One line of an entry; ``cluster_id``: an irritant to link to."""

    text: str
    cluster_id: int | None = None


@dataclass(frozen=True)
class Entry:
    """One event as the page shows it."""

    event: Event
    title: str
    details: list[Detail] = field(default_factory=list)


def _status(value: Any) -> str:
    try:
        return f"« {STATUS_LABELS_AGENT[StatusKind(value)]} »"
    except ValueError:
        return "—"


def _count(items: Any, singular: str, plural: str) -> str:
    n = len(items or [])
    return f"{n} {singular if n < 2 else plural}"


def _words(value: Any) -> str:
    return ", ".join(value or []) or "aucun"


def _changes(event: Event, squad_names: dict[int, str]) -> list[Detail]:
    before, after = event.before or {}, event.after or {}
    out: list[Detail] = []
    if before.get("status") != after.get("status") and after.get("status"):
        out.append(Detail(f"Statut : {_status(before.get('status'))} → {_status(after.get('status'))}"))
    if after.get("routed_to") and after.get("routed_to") != before.get("routed_to"):
        out.append(Detail(f"Transmis à : {after['routed_to']}"))
    if "duplicate_of_id" in after and after.get("duplicate_of_id") != before.get("duplicate_of_id"):
        target = after.get("duplicate_of_id")
        out.append(Detail(f"Doublon de l’irritant n° {target}" if target else "N’est plus un doublon", target))
    if "squad_id" in after:
        old = squad_names.get(before.get("squad_id") or 0, "aucune") if before.get("squad_id") else "aucune"
        new = after.get("squad") or squad_names.get(after.get("squad_id") or 0) or "aucune"
        out.append(Detail(f"Start-up d’État : {old} → {new}"))
    if "pinned" in after:
        out.append(Detail("Épinglé : le regroupement automatique le conserve" if after["pinned"] else "Désépinglé"))
    if "label" in after and before.get("label") != after.get("label") and "label" in before:
        out.append(Detail(f"Libellé : « {before.get('label')} » → « {after['label']} »"))
    if "keywords" in after and before.get("keywords") != after.get("keywords") and "keywords" in before:
        out.append(Detail(f"Mots-clés : {_words(before.get('keywords'))} → {_words(after['keywords'])}"))
    if event.action == "cluster.answer":
        done = "corrigée" if before.get("text") else "publiée"
        out.append(
            Detail(
                f"Réponse de l’administration « {after.get('administration')} » {done} (version {after.get('version')})"
            )
        )
    return out


def _reshaping(event: Event) -> list[Detail]:
    after, before = event.after or {}, event.before or {}
    action = event.action
    if action == "cluster.merge":
        return [
            Detail(f"Fusionné dans l’irritant n° {after.get('into')}", after.get("into")),
            Detail(f"{_count(after.get('reports'), 'signalement déplacé', 'signalements déplacés')}"),
        ]
    if action == "cluster.absorb":
        merged = after.get("merged") or []
        lines = [Detail(f"Irritant n° {i} fusionné ici", i) for i in merged]
        if "size" in after:
            lines.append(Detail(f"Signalements : {before.get('size', 0)} → {after['size']}"))
        return lines
    if action == "cluster.unmerge":
        return [
            Detail(f"Séparé de l’irritant n° {after.get('from')}", after.get("from")),
            Detail(f"{_count(after.get('reports'), 'signalement récupéré', 'signalements récupérés')}"),
        ]
    if action == "cluster.release":
        count = _count(after.get("reports"), "signalement rendu", "signalements rendus")
        return [Detail(f"{count} à l’irritant n° {after.get('to')}", after.get("to"))]
    if action == "cluster.split":
        count = _count(after.get("reports"), "signalement", "signalements")
        new = after.get("new_cluster_id")
        return [Detail(f"{count} vers le nouvel irritant n° {new}", new)]
    if action == "cluster.create":
        origin = after.get("split_from")
        count = _count(after.get("reports"), "signalement", "signalements")
        return [Detail(f"Créé avec {count} de l’irritant n° {origin}", origin)]
    if action == "cluster.not_same":
        other = after.get("other")
        return [Detail(f"Ce n’est pas le même irritant que le n° {other} : la paire n’est plus proposée", other)]
    if action == "report.move":
        origin = before.get("cluster_id")
        text = f"Signalement n° {event.subject_id} déplacé ici"
        return [Detail(f"{text} depuis l’irritant n° {origin}" if origin else text, origin)]
    return []


def entries(events: Iterable[Event], *, squad_names: dict[int, str] | None = None) -> list[Entry]:
    """Events (newest first) with a French title and one line per change."""
    names = squad_names or {}
    out = []
    for event in events:
        title = TITLES.get(event.action, f"Action « {event.action} »")
        details = _reshaping(event) or _changes(event, names)
        out.append(Entry(event, title, details))
    return out
