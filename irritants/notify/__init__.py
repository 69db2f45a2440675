"""Messages about what happened, each written in the transaction of what it tells (a receiver of a domain event):
the acknowledgement of a new report (``acknowledgement.py``), queued at once; an agent's question to a report's
author (``questions.py``); an administration's first public answer on an irritant (``answers.py``); the tracking
links asked for again on « lien de suivi perdu » (``tracking_links.py``); status changes (``status_notices.py``),
composed per person by the ``notices`` job once MAIL_GROUP_MINUTES have passed (``grouping.py``, ``jobs.py``); a
regressed irritant's squad told (``squad_alerts.py``); unsubscribing (``unsubscribe.py``); and to agents, the daily
digest of new irritants (``digest.py``, « Mes notifications »). The outbox delivers them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the receivers to the domain events, register the ``notices`` job (which every runner runs before the
    outbox's) and the daily digest, and the agents' « Mes notifications » page. The status receiver needs nothing of
    an app (it writes in the session that sent the event), so it is connected once per process."""
    from irritants import events, jobs, periodic
    from irritants.notify import (
        acknowledgement,
        answers,
        digest,
        questions,
        squad_alerts,
        status_notices,
        tracking_links,
        views,
    )
    from irritants.notify import jobs as notices

    acknowledgement.connect(app)
    questions.connect(app)
    answers.connect(app)
    tracking_links.connect(app)
    squad_alerts.connect(app)
    events.status_changed.connect(status_notices.record_status_change, weak=False)
    jobs.register(app, "notices", notices.tell_due_notices)
    app.register_blueprint(views.bp)
    periodic.register_daily(app, "digest", lambda app: digest.send_digests(app), at_hour=7)
