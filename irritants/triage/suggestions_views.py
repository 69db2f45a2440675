"""The back-office forms of « Irritants qui se ressemblent »: « Fusionner » and « Ce ne sont pas les mêmes », on the
backlog and on an irritant's page (routes on the back-office blueprint, apart to keep modules short).

« Fusionner » is the one merge decision (``merges.merge``: the policy, the version of both irritants as the agent saw
them, the audit events of any merge); a refusal is shown on the page the agent came from, with its status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from irritants.auth.access import require
from irritants.auth.exceptions import Forbidden, StaleObject
from irritants.auth.policy import Action, Agent
from irritants.db import get_session
from irritants.errors import NotFoundError, ValidationFailed
from irritants.settings import settings_of
from irritants.triage import backlog, merges, suggestions
from irritants.triage import backoffice_forms as forms
from irritants.triage.schemas import TriageDismissBodySchema, TriageSuggestedMergeSchema

SHOWN_ON_PAGE = (ValidationFailed, StaleObject, Forbidden, NotFoundError, StaleDataError)
FROM_BACKLOG = "suivi"

ShowBacklog = Callable[..., Any]
ShowCluster = Callable[..., Any]


def form_key(first_id: int, second_id: int) -> str:
    """The id of a suggestion's forms on a page (the same whichever irritant is named first)."""
    low, high = sorted((first_id, second_id))
    return f"ressemblance-{low}-{high}"


def _number(name: str) -> int | None:
    """A posted irritant number, if it is one."""
    value = request.form.get(name, "").strip()
    return int(value) if value.isdecimal() and len(value) <= 10 and 0 < int(value) <= backlog.MAX_ID else None


def _origin() -> int | None:
    """The irritant page the form was on; None for the backlog."""
    return _number("depuis")


def add_routes(bp: Blueprint, show_backlog: ShowBacklog, show_cluster: ShowCluster) -> None:
    """Hang the forms on the back-office blueprint; ``show_backlog(agent, failure, status)`` and
    ``show_cluster(agent, cluster_id, failure, status)`` render a page again with a refused form."""

    def refused(agent: Agent, key: str, err: Exception, schema: type) -> Any:
        get_session().rollback()
        origin = _origin()
        failure = forms.failure(key, err, request.form, schema)
        return show_cluster(agent, origin, *failure) if origin else show_backlog(agent, *failure)

    def back(origin: int | None) -> Any:
        if origin is None:
            filters, _ = backlog.parse_filters(request.args)
            # To the confirmation (just above the block, it takes the focus), not to the block past it: read
            # first, then the next Tab goes on to the pairs left.
            return redirect(url_for("backoffice.backlog_page", **filters.as_query()) + "#messages", 303)
        return redirect(url_for("backoffice.cluster_page", cluster_id=origin), 303)

    def merge_suggested(cluster_id: int) -> Any:
        agent = require(Action.VIEW_BACKLOG)
        key = form_key(cluster_id, _number("fusionne") or 0)
        db: Session = get_session()
        try:
            data = forms.load(TriageSuggestedMergeSchema, request.form, keep_id=str(cluster_id))
            key = form_key(data["keep_id"], data["merge_id"])
            versions = {data["keep_id"]: data["keep_version"], data["merge_id"]: data["merge_version"]}
            merges.merge(
                db, agent, data["keep_id"], [data["merge_id"]], ranking=settings_of(current_app).ranking,
                expected_versions={k: v for k, v in versions.items() if v is not None}, reason=data.get("reason"),
            )  # fmt: skip
            db.commit()
        except SHOWN_ON_PAGE as err:
            return refused(agent, key, err, TriageSuggestedMergeSchema)
        flash(f"Fusion faite : l’irritant n° {data['merge_id']} est regroupé dans le n° {data['keep_id']}.", "success")
        origin = _origin()
        return back(data["keep_id"] if origin == data["merge_id"] else origin)

    def dismiss_suggested(cluster_id: int) -> Any:
        agent = require(Action.VIEW_BACKLOG)
        key = form_key(cluster_id, _number("autre") or 0)
        db: Session = get_session()
        try:
            data = forms.load(TriageDismissBodySchema, request.form)
            suggestions.dismiss_pair(db, agent, cluster_id, data["other_id"], reason=data.get("reason"))
            db.commit()
        except SHOWN_ON_PAGE as err:
            return refused(agent, key, err, TriageDismissBodySchema)
        flash(
            f"C’est noté : les irritants n° {cluster_id} et n° {data['other_id']} ne seront plus proposés à la fusion.",
            "success",
        )
        return back(_origin())

    bp.add_url_rule(
        "/irritants/<int:cluster_id>/ressemblance/fusion", view_func=merge_suggested, methods=["POST"],
        endpoint="merge_suggested",
    )  # fmt: skip
    bp.add_url_rule(
        "/irritants/<int:cluster_id>/ressemblance/ecart", view_func=dismiss_suggested, methods=["POST"],
        endpoint="dismiss_suggested",
    )  # fmt: skip
