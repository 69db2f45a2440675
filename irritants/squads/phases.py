"""The life-cycle of a start-up d'État (beta.gouv.fr): phases, the moves between them, and what each move needs.

Pure (stdlib only), in the style of the irritant workflow (``irritants/status.py``): the squads service refuses
any move ``MOVES`` does not list, and every page, the API and audit texts take their words from here.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class SquadPhase(enum.StrEnum):
    """Phases of a start-up d'État (beta.gouv.fr); ASCII codes, as the API shows them."""

    INVESTIGATION = "investigation"
    CONSTRUCTION = "construction"
    ACCELERATION = "acceleration"
    TRANSFERT = "transfert"
    PERENNISE = "perennise"
    ABANDON = "abandon"


P = SquadPhase

# Forward only, one step at a time, except that a squad may stop at any phase (abandon) and an accelerating one may
# be taken over for good by its administration without a transfer period (pérennisé).
MOVES: dict[SquadPhase, frozenset[SquadPhase]] = {
    P.INVESTIGATION: frozenset({P.CONSTRUCTION, P.ABANDON}),
    P.CONSTRUCTION: frozenset({P.ACCELERATION, P.ABANDON}),
    P.ACCELERATION: frozenset({P.TRANSFERT, P.PERENNISE, P.ABANDON}),
    P.TRANSFERT: frozenset({P.PERENNISE, P.ABANDON}),
    P.PERENNISE: frozenset(),
    P.ABANDON: frozenset(),
}
# No move leaves these.
ENDS = frozenset(phase for phase, moves in MOVES.items() if not moves)
# Entering these needs a note: an abandon records its post-mortem (what was learnt, why it stopped).
NOTE_REQUIRED = frozenset({P.ABANDON})
NOTE_MAX = 2000
# Where a new squad may start (a squad registered late may start past investigation, never at an end).
STARTS = frozenset(P) - ENDS

PHASE_LABELS: dict[SquadPhase, str] = {
    P.INVESTIGATION: "Investigation",
    P.CONSTRUCTION: "Construction",
    P.ACCELERATION: "Accélération",
    P.TRANSFERT: "Transfert",
    P.PERENNISE: "Pérennisé",
    P.ABANDON: "Abandon",
}
# What the note means, phase by phase (form labels, API documentation).
NOTE_LABELS: dict[SquadPhase, str] = {P.ABANDON: "Bilan (post-mortem)"}
# DSFR badge colour of each phase.
PHASE_BADGES: dict[SquadPhase, str] = {
    P.INVESTIGATION: "new",
    P.CONSTRUCTION: "info",
    P.ACCELERATION: "info",
    P.TRANSFERT: "info",
    P.PERENNISE: "success",
    P.ABANDON: "warning",
}

_ORDER = list(SquadPhase)


def allowed_moves(phase: SquadPhase | str) -> list[SquadPhase]:
    """Phases reachable in one move from ``phase``, in life-cycle order."""
    return sorted(MOVES[SquadPhase(phase)], key=_ORDER.index)


class Refusal(NamedTuple):
    """Why a move is refused: the input field at fault (``phase`` or ``note``) and the French message."""

    field: str
    message: str


def refusal(current: SquadPhase | str, to: SquadPhase | str, note: str | None) -> Refusal | None:
    """Why the move from ``current`` to ``to`` with ``note`` is refused, or None when the table allows it."""
    current, to = SquadPhase(current), SquadPhase(to)
    if current == to:
        return Refusal("phase", f"La start-up d'État est déjà en phase « {PHASE_LABELS[to]} » : rien n'a changé.")
    if current in ENDS:
        return Refusal(
            "phase", f"La phase « {PHASE_LABELS[current]} » est une fin : la start-up d'État n'en change plus."
        )
    if to not in MOVES[current]:
        choices = ", ".join(f"« {PHASE_LABELS[p]} »" for p in allowed_moves(current))
        why = f"Passage de « {PHASE_LABELS[current]} » à « {PHASE_LABELS[to]} » impossible : "
        return Refusal("phase", why + f"les phases possibles sont : {choices}.")
    if to in NOTE_REQUIRED and not (note or "").strip():
        why = f"Passer en phase « {PHASE_LABELS[to]} » demande un bilan (post-mortem) : quelques lignes suffisent."
        return Refusal("note", why)
    return None
