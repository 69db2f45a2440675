"""Public pages of irritants: the cluster page and « C'est aussi mon cas »."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from irritants import people
from irritants.clusters import services as clusters
from irritants.db import get_session
from irritants.extensions import client_network, limiter, support_limit
from irritants.settings import settings_of

bp = Blueprint("irritants", __name__)

PERSON_COOKIE = "irritants_personne"
PERSON_COOKIE_MAX_AGE = 365 * 24 * 3600


def browser_id() -> tuple[str, bool]:
    """This browser's supporter id, signed by the server (and whether it is new): counts a person once,
    anonymously. A cookie the server did not sign — made up, or from before ids were signed — gets a fresh id."""
    value = request.cookies.get(PERSON_COOKIE, "")
    secret = current_app.config["SECRET_KEY"]
    if people.is_issued(secret, value):
        return value, False
    return people.issue_supporter_id(secret), True


def request_source() -> str:
    """Keyed hash of the client's network (never the address itself), to count one network once."""
    return people.source_key(current_app.config["SECRET_KEY"], request.remote_addr)


def remember_browser(response: Any, value: str) -> Any:
    """Set the browser identifier cookie (first-party, HttpOnly, one year)."""
    response.set_cookie(
        PERSON_COOKIE,
        value,
        max_age=PERSON_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/irritants/<int:cluster_id>")
def cluster_page(cluster_id: int) -> Any:
    """Public page of an irritant: label, size, breadth, status, anonymised excerpts, score breakdown."""
    db = get_session()
    root = clusters.merged_into(db, min(cluster_id, 2**31 - 1))
    if root is not None:
        # 302, not 301: a merge can be undone, and this page then comes back.
        flash(f"Cet irritant (n° {cluster_id}) a été regroupé avec celui-ci : « {root.label} ».", "info")
        return redirect(url_for("irritants.cluster_page", cluster_id=root.id), code=302)
    cluster = clusters.get_public_cluster(db, min(cluster_id, 2**31 - 1))
    return render_template(
        "triage/cluster.html",
        cluster=cluster,
        summary=clusters.cluster_summary(db, cluster),
        excerpts=clusters.public_excerpts(db, cluster),
    )


@bp.post("/irritants/<int:cluster_id>/moi-aussi")
@limiter.shared_limit(support_limit, scope="supports", key_func=client_network)
def support(cluster_id: int) -> Any:
    """« C'est aussi mon cas » from a page: counted once per person and network, then back to the page."""
    db = get_session()
    identifier, new = browser_id()
    outcome = clusters.add_support(
        db,
        min(cluster_id, 2**31 - 1),
        people.person_key(current_app.config["SECRET_KEY"], identifier),
        source=request_source(),
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
    target = request.form.get("next", "")
    if target != "form":
        target = url_for("irritants.cluster_page", cluster_id=outcome.cluster_id)
    else:
        target = url_for("intake.new_report")
    response = redirect(target, code=303)
    return remember_browser(response, identifier) if new else response
