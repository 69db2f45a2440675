"""The ``exports`` background job: one queued export built per run (claimed by a conditional UPDATE, so any number
of runners share the queue), and the daily purge of the files past their time."""

from __future__ import annotations

import logging

from flask import Flask

from irritants.db import get_db
from irritants.exports import services
from irritants.settings import settings_of

log = logging.getLogger(__name__)


def build_next(app: Flask) -> int:
    """Build the oldest queued export, if any; returns 1 when one was taken (0: nothing queued)."""
    settings = settings_of(app)
    database = get_db(app)
    with app.app_context(), database.session_scope() as session:
        request = services.claim_next(session)
        session.commit()  # the claim is seen by the other runners before the long part starts
        if request is None:
            return 0
        request_id = request.id
        try:
            services.build(session, request, settings.exports, settings.fix_effect)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("export %s failed", request_id)
            services.fail(session, request_id, "Erreur inattendue pendant la préparation du fichier.")
            session.commit()
        else:
            log.info("export %s ready: %s rows", request_id, request.rows)
    return 1


def purge_expired(app: Flask) -> int:
    """Delete the exports past their time and their files (daily job, ``irritants exports-purge``)."""
    with app.app_context(), get_db(app).session_scope() as session:
        purged = services.purge(session, settings_of(app).exports)
        session.commit()
    return purged
