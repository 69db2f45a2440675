"""What citizens see: the report form, its confirmation, the tracking page and the public pages of irritants.

Above intake, clusters, triage, moderation and squads: these pages read from all of them, and none of
them imports a page. Blueprint and endpoint names are those the templates have always used (``intake.*``,
``irritants.*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The form, confirmation and tracking pages (blueprint ``intake``), the irritants' pages (``irritants``), the
    start-ups d'État's pages (``startups``), « Est-ce résolu pour vous ? » (``survey``), « Ne plus recevoir de
    messages » (``unsubscribe``), the reporter's own follow-up (``followup``), the public list and roadmap of irritants
    (``irritant_list``), the public statistics (``statistics``) and the open data files (``opendata``)."""
    from irritants.public import (
        followup,
        irritant_list,
        irritants,
        opendata,
        reports,
        squads,
        statistics,
        survey,
        unsubscribe,
    )

    app.register_blueprint(reports.bp)
    app.register_blueprint(survey.bp)
    app.register_blueprint(irritants.bp)
    app.register_blueprint(irritant_list.bp)
    app.register_blueprint(statistics.bp)
    app.register_blueprint(squads.bp)
    app.register_blueprint(unsubscribe.bp)
    app.register_blueprint(followup.bp)
    app.register_blueprint(opendata.bp)
