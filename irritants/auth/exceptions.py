"""Authorisation errors, translated to 401/403/404 by errors.py like every domain error."""

from __future__ import annotations

from irritants.errors import IrritantsError, NotFoundError


class Unauthenticated(IrritantsError):
    status, slug, title = 401, "unauthenticated", "Connexion requise"


class Forbidden(IrritantsError):
    status, slug, title = 403, "forbidden", "Accès refusé"


class StaleObject(IrritantsError):
    """Another agent changed the object since the page was loaded."""

    status, slug, title = 409, "changed-meanwhile", "Modifié entre-temps"


def raise_for(decision: object) -> None:
    """Raise the error matching a refused policy decision."""
    status = getattr(decision, "status", 403)
    reason = getattr(decision, "reason", "")
    if status == 401:
        raise Unauthenticated(reason)
    if status == 404:
        raise NotFoundError(reason or None)
    raise Forbidden(reason or None)
