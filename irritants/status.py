"""The one status vocabulary of an irritant: kinds, workflow, the sets decisions and policy rely on, and wording.

Pure (stdlib only): models store ``StatusKind`` values, the decisions service refuses any step ``TRANSITIONS``
does not list, the policy says who may take a step, and every page, the API and audit texts take their words
from here. A report has no status of its own: it shows its irritant's (see docs/architecture.md, « Statuses »).
"""

from __future__ import annotations

import enum


class StatusKind(enum.StrEnum):
    """The fixed kinds of public status, whatever wording a team shows."""

    NEW = "new"
    TRIAGED = "triaged"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    REGRESSED = "regressed"
    CLOSED_NOT_FIXED = "closed_not_fixed"
    NOT_OUR_SCOPE = "not_our_scope"
    DUPLICATE = "duplicate"
    SPAM = "spam"


S = StatusKind

# From every open status an irritant may also be routed elsewhere, marked duplicate or spam — or closed without a
# fix (a product owner may decide not to pursue it, with a reason), which the citizen is told as such.
_SIDE_EXITS = frozenset({S.NOT_OUR_SCOPE, S.DUPLICATE, S.SPAM})

TRANSITIONS: dict[StatusKind, frozenset[StatusKind]] = {
    S.NEW: frozenset({S.TRIAGED}) | _SIDE_EXITS,
    S.TRIAGED: frozenset({S.PLANNED, S.CLOSED_NOT_FIXED}) | _SIDE_EXITS,
    S.PLANNED: frozenset({S.IN_PROGRESS, S.CLOSED_NOT_FIXED}) | _SIDE_EXITS,
    S.IN_PROGRESS: frozenset({S.FIXED, S.CLOSED_NOT_FIXED}) | _SIDE_EXITS,
    S.FIXED: frozenset({S.REGRESSED, S.TRIAGED}),
    S.REGRESSED: frozenset({S.IN_PROGRESS}),
    # Closed irritants can be reopened (the policy keeps that to product owners).
    S.CLOSED_NOT_FIXED: frozenset({S.TRIAGED}),
    S.NOT_OUR_SCOPE: frozenset({S.TRIAGED}),
    S.DUPLICATE: frozenset({S.TRIAGED}),
    S.SPAM: frozenset({S.TRIAGED}),
}

# Reaching one of these starts the retention clock of contact data (closed_at).
CLOSED_STATUSES = frozenset({S.FIXED, S.CLOSED_NOT_FIXED, S.NOT_OUR_SCOPE, S.DUPLICATE, S.SPAM})
# A squad does this work: an irritant in these statuses must stay linked to one.
SQUAD_REQUIRED = frozenset({S.PLANNED, S.IN_PROGRESS})
# The progress of a squad's own work: what a squad member may set on an irritant of their squad (policy).
SQUAD_STATUSES = frozenset({S.PLANNED, S.IN_PROGRESS, S.FIXED, S.REGRESSED})
# Decisions on an irritant's shape rather than on the progress of work (policy: Action.RESHAPE).
RESHAPING_STATUSES = frozenset({S.NOT_OUR_SCOPE, S.DUPLICATE, S.SPAM})

# What citizens read (tracking page, public pages, API for citizens).
CITIZEN_STATUS_LABELS: dict[StatusKind, str] = {
    S.NEW: "Reçu",
    S.TRIAGED: "Examiné",
    S.PLANNED: "Pris en charge par une équipe",
    S.IN_PROGRESS: "Correction en cours",
    S.FIXED: "Corrigé",
    S.REGRESSED: "Réapparu après correction",
    S.CLOSED_NOT_FIXED: "Clos sans correction",
    S.NOT_OUR_SCOPE: "Transmis à un autre service",
    S.DUPLICATE: "Regroupé avec un autre irritant",
    S.SPAM: "Non retenu",
}

# What agents read (back-office, triage API, history of an irritant).
STATUS_LABELS_AGENT: dict[StatusKind, str] = {
    S.NEW: "Nouveau",
    S.TRIAGED: "Qualifié",
    S.PLANNED: "Planifié",
    S.IN_PROGRESS: "En cours",
    S.FIXED: "Corrigé",
    S.REGRESSED: "Réapparu",
    S.CLOSED_NOT_FIXED: "Clos sans correction",
    S.NOT_OUR_SCOPE: "Hors périmètre",
    S.DUPLICATE: "Doublon",
    S.SPAM: "Indésirable",
}

# DSFR badge colour of each status kind, shared by every page that shows a status.
STATUS_BADGES: dict[StatusKind, str] = {
    S.NEW: "new",
    S.TRIAGED: "info",
    S.PLANNED: "info",
    S.IN_PROGRESS: "info",
    S.FIXED: "success",
    S.REGRESSED: "warning",
    S.CLOSED_NOT_FIXED: "warning",
    S.NOT_OUR_SCOPE: "info",
    S.DUPLICATE: "info",
    S.SPAM: "error",
}

_ORDER = list(StatusKind)


def allowed_transitions(status: StatusKind | str) -> list[StatusKind]:
    """Statuses reachable from ``status``, in workflow order."""
    return sorted(TRANSITIONS.get(StatusKind(status), frozenset()), key=_ORDER.index)


def citizen_label(status: StatusKind | str | None) -> str:
    """A status in citizens' words; « Reçu » for a report not yet in an irritant (None)."""
    return CITIZEN_STATUS_LABELS.get(status, CITIZEN_STATUS_LABELS[S.NEW])  # type: ignore[arg-type]


def badge(status: StatusKind | str | None) -> str:
    """The DSFR badge colour of a status (« info » when unknown)."""
    return STATUS_BADGES.get(status, "info")  # type: ignore[arg-type]
