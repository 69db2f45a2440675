"""Moderation queue of the back-office (``/agents/moderation``) and the public « Signaler un contenu abusif »."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from irritants.auth.access import require
from irritants.auth.policy import Action
from irritants.db import get_session
from irritants.errors import NotFoundError, ValidationFailed
from irritants.extensions import client_network, flag_limit, limiter
from irritants.intake import moderation
from irritants.intake.redaction import segments
from irritants.triage.services import person_key
from irritants.triage.views import browser_id, remember_browser, request_source

bp = Blueprint("moderation", __name__)

PAGE_SIZE = 20
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000

_DONE = {
    moderation.Decision.PUBLISH: "Signalement publié : son texte apparaît désormais, anonymisé, sur les pages "
    "publiques.",
    moderation.Decision.REJECT: "Signalement rejeté : son texte ne sera pas publié. Il reste compté dans son irritant.",
}


@bp.app_template_global("abuse_flag_reasons")
def abuse_flag_reasons() -> list[tuple[str, str]]:
    """(value, French label) of the reasons a citizen may give when flagging an excerpt."""
    return list(moderation.FLAG_REASONS.items())


def _page() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


@bp.get("/agents/moderation")
def queue() -> Any:
    """Reports held for moderation, oldest first, raw text with the detected personal data highlighted."""
    require(Action.MODERATE)
    page = _page()
    items, total = moderation.pending_reports(get_session(), page=page, page_size=PAGE_SIZE)
    rows = [
        {
            "report": report,
            "segments": segments(report.description),
            "reasons": moderation.reason_labels(report.moderation_reasons),
        }
        for report in items
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    response = current_app.make_response(
        render_template(
            "moderation/queue.html",
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            kind_labels=moderation.REASON_LABELS,
            reason_max=moderation.REASON_MAX_LENGTH,
        )
    )
    # Raw texts may hold personal data: never kept by a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/agents/moderation/<int:report_id>")
def decide(report_id: int) -> Any:
    """« Publier » or « Rejeter » a held report (the form carries the state it was shown in)."""
    agent = require(Action.MODERATE)
    db = get_session()
    form = request.form
    try:
        decision, expected, reason = moderation.parse_decision(
            form.get("decision"), form.get("expected"), form.get("reason")
        )
        moderation.decide(db, agent, min(report_id, MAX_ID), decision, expected=expected, reason=reason)
        db.commit()
    except moderation.AlreadyDecided as err:
        db.rollback()
        flash(err.detail, "warning")
    except ValidationFailed as err:
        db.rollback()
        flash(" ".join(m for messages in err.errors.values() for m in messages) or err.detail, "error")
    else:
        flash(_DONE[decision], "success")
    page = min(max(form.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    return redirect(url_for("moderation.queue", page=page if page > 1 else None), code=303)


@bp.post("/irritants/<int:cluster_id>/extraits/<int:report_id>/abus")
@limiter.shared_limit(flag_limit, scope="abuse-flags", key_func=client_network)
def flag(cluster_id: int, report_id: int) -> Any:
    """« Signaler un contenu abusif » on an excerpt: once per person; enough people hide it until reviewed."""
    cluster_id, report_id = min(cluster_id, MAX_ID), min(report_id, MAX_ID)
    config = current_app.config
    db = get_session()
    identifier, new = browser_id()
    try:
        outcome = moderation.flag_abuse(
            db,
            report_id,
            person_key(config["SECRET_KEY"], identifier),
            reason=request.form.get("reason") or None,
            threshold=config["ABUSE_FLAG_THRESHOLD"],
            cluster_id=cluster_id,
            source=request_source(),
        )
        db.commit()
    except ValidationFailed as err:
        db.rollback()
        flash(" ".join(m for messages in err.errors.values() for m in messages) or err.detail, "error")
    except NotFoundError:
        db.rollback()
        flash("Cet extrait n’est plus publié : il a déjà été retiré ou attend d’être relu par un modérateur.", "info")
    else:
        if outcome.hidden:
            flash("Merci : cet extrait est masqué jusqu’à ce qu’un modérateur l’ait relu.", "success")
        elif outcome.already:
            flash("Vous aviez déjà signalé cet extrait : votre signalement est bien pris en compte.", "info")
        else:
            flash(
                "Merci : votre signalement a été transmis. L’extrait sera relu s’il est signalé plusieurs fois.",
                "success",
            )
    response = redirect(url_for("irritants.cluster_page", cluster_id=cluster_id), code=303)
    return remember_browser(response, identifier) if new else response
