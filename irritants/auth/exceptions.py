"""Authorisation errors, translated to 401/403/404 by errors.py like every domain error."""

from __future__ import annotations

# StaleObject lives with the shared errors (squads, below auth, raise it too); kept importable from here.
from irritants.errors import IrritantsError, NotFoundError, StaleObject

__all__ = ["Forbidden", "StaleObject", "Unauthenticated", "raise_for"]


class Unauthenticated(IrritantsError):
    status, slug, title = 401, "unauthenticated", "Connexion requise"


class Forbidden(IrritantsError):
    status, slug, title = 403, "forbidden", "Accès refusé"


def raise_for(decision: object) -> None:
    """Raise the error matching a refused policy decision."""
    status = getattr(decision, "status", 403)
    reason = getattr(decision, "reason", "")
    if status == 401:
        raise Unauthenticated(reason)
    if status == 404:
        raise NotFoundError(reason or None)
    raise Forbidden(reason or None)
