"""Why a citizen may not answer « Est-ce résolu pour vous ? » now."""

from __future__ import annotations

from irritants.errors import IrritantsError


class NotFixedYet(IrritantsError):
    """The question is asked once the irritant (after merges) is fixed, or has regressed after a fix."""

    status, slug, title = 409, "not-fixed-yet", "Irritant pas encore corrigé"
