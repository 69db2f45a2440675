"""Public pages of irritants: the irritant's page, « C'est aussi mon cas » and « Signaler un contenu abusif »."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from irritants import people
from irritants.answers import services as answers
from irritants.clusters import effect as fix_effect
from irritants.clusters import services as clusters
from irritants.clusters.schemas import SUPPORT_FIELD_LABELS, SupportCreateSchema
from irritants.db import get_session, utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.extensions import client_network, flag_limit, limiter, support_limit
from irritants.feedback import services as feedback
from irritants.intake.services import contact_values
from irritants.moderation import services as moderation
from irritants.public.browser import browser_id, remember_browser, request_source
from irritants.public.irritant_list import way_back
from irritants.sanitize import strip_forbidden
from irritants.settings import settings_of
from irritants.squads import services as squads

bp = Blueprint("irritants", __name__)

MAX_ID = 2**31 - 1


@bp.get("/irritants/<int:cluster_id>")
def cluster_page(cluster_id: int) -> Any:
    """Public page of an irritant: label, size, breadth, status, anonymised excerpts, score breakdown."""
    db = get_session()
    root = clusters.merged_into(db, min(cluster_id, 2**31 - 1))
    if root is not None:
        # 302, not 301: a merge can be undone, and this page then comes back.
        flash(f"Cet irritant (n° {cluster_id}) a été regroupé avec celui-ci : « {root.label} ».", "info")
        return redirect(url_for("irritants.cluster_page", cluster_id=root.id), code=302)
    return _render_page(clusters.get_public_cluster(db, min(cluster_id, 2**31 - 1)))


def _render_page(cluster: Any, form: dict[str, Any] | None = None, errors: Any = None, status: int = 200) -> Any:
    db = get_session()
    settings = settings_of(current_app).fix_effect
    html = render_template(
        "triage/cluster.html",
        cluster=cluster,
        fix_effect=fix_effect.shown(db, settings, cluster),
        fix_effect_weeks=settings.weeks,
        summary=clusters.cluster_summary(db, cluster),
        excerpts=clusters.public_excerpts(db, cluster),
        squad=squads.squad_of(db, cluster.squad_id),
        perceived=_perceived(db, cluster),
        support_form=form or {},
        support_errors=errors or {},
        support_labels=SUPPORT_FIELD_LABELS,
        answers=answers.answers_of(db, cluster.id),
    )
    return html, status


def _perceived(db: Any, cluster: Any) -> feedback.PerceivedResolution | None:
    """The answers to « Est-ce résolu pour vous ? », once the question is asked (or answers were given before)."""
    perceived = feedback.perceived_rate(db, settings_of(current_app).feedback, cluster.id)
    return perceived if cluster.status in feedback.ASKED_STATUSES or perceived.answers else None


@bp.post("/irritants/<int:cluster_id>/moi-aussi")
@limiter.shared_limit(support_limit, scope="supports", key_func=client_network)
def support(cluster_id: int) -> Any:
    """« C'est aussi mon cas » from a page: counted once per person and network, with an optional email to hear how
    the irritant goes; then back to the page, or to the list or roadmap it came from (or the page again, 422,
    naming what to correct)."""
    db = get_session()
    config = current_app.config
    cluster_id = min(cluster_id, 2**31 - 1)
    typed = {"email": request.form.get("email", ""), "contact_consent": "contact_consent" in request.form}
    try:
        data = SupportCreateSchema().load(typed)
    except ValidationError as err:
        cluster = clusters.merged_into(db, cluster_id) or clusters.get_public_cluster(db, cluster_id)
        errors = {k: v if isinstance(v, list) else [str(v)] for k, v in err.messages_dict.items()}
        shown = {**typed, "email": strip_forbidden(typed["email"])}  # refused characters are never echoed
        return _render_page(cluster, shown, errors, 422)
    identifier, new = browser_id()
    outcome = clusters.add_support(
        db,
        cluster_id,
        people.person_key(config["SECRET_KEY"], identifier),
        source=request_source(),
        contact=contact_values(
            data, secret_key=config["SECRET_KEY"], retention_days=config["CONTACT_RETENTION_DAYS"], now=utcnow()
        ),
    )
    clusters.refresh_one(db, settings_of(current_app).ranking, outcome.cluster_id)
    db.commit()
    if outcome.counted:
        flash("Merci : nous avons ajouté votre voix à cet irritant.", "success")
    elif outcome.recorded:
        flash(
            "Merci, votre voix est enregistrée. Pour que personne ne soit compté deux fois, une seule voix par "
            "connexion internet est ajoutée au nombre de personnes concernées.",
            "info",
        )
    else:
        flash("Votre voix était déjà comptée pour cet irritant.", "info")
    if outcome.contact:
        flash("Votre adresse est enregistrée : nous vous écrirons quand cet irritant avancera.", "success")
    elif data.get("email"):
        flash(
            "Vous avez signalé cette situation vous-même : vous en suivez l’avancement avec votre signalement, "
            "cette adresse n’a pas été enregistrée.",
            "info",
        )
    target = request.form.get("next", "")
    if target == "form":
        target = url_for("intake.new_report")
    else:  # back to the list or the roadmap it was given from, else to the irritant's page
        target = way_back(target) or url_for("irritants.cluster_page", cluster_id=outcome.cluster_id)
    response = redirect(target, code=303)
    return remember_browser(response, identifier) if new else response


@bp.app_template_global("abuse_flag_reasons")
def abuse_flag_reasons() -> list[tuple[str, str]]:
    """(value, French label) of the reasons a citizen may give when flagging an excerpt."""
    return list(moderation.FLAG_REASONS.items())


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
            people.person_key(config["SECRET_KEY"], identifier),
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
