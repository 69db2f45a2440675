"""Product owners' back-office: the ranked backlog, an irritant's page, and the forms of their decisions.

Views are short: check the policy, parse the form, call ``decisions`` (which checks again and writes the audit
event), commit, redirect with a notice. A refused decision shows the page again with the error, the input and a
link to the page's own address (this one is the form's: reloading it would post again); a transfer out of the
agent's hands shows it again asking for confirmation. The irritant page's content is built in backoffice_page.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from irritants.answers import scope
from irritants.auth.access import require
from irritants.auth.exceptions import Forbidden, StaleObject
from irritants.auth.policy import Action, Agent, decide, forced_administration
from irritants.clusters.models import Cluster
from irritants.clusters.services import administration_names
from irritants.db import get_session
from irritants.errors import NotFoundError, ValidationFailed
from irritants.feedback import services as feedback
from irritants.intake.models import SEVERITY_LABELS
from irritants.referential import services as referential
from irritants.settings import RankingSettings, settings_of
from irritants.status import STATUS_LABELS_AGENT, StatusKind
from irritants.triage import (
    answers_views,
    backlog,
    bulk,
    decisions,
    fixes,
    merges,
    questions_views,
    recluster_views,
    splits,
    suggestions,
    suggestions_views,
    templates_views,
)
from irritants.triage import backoffice_forms as forms
from irritants.triage import backoffice_page as irritant_page
from irritants.triage import schemas as inputs
from irritants.triage import templates as replies

bp = Blueprint("backoffice", __name__, url_prefix="/agents")

# Domain refusals shown on the page itself, the input kept (anything else is an error page).
SHOWN_ON_PAGE = (ValidationFailed, StaleObject, Forbidden, NotFoundError)
BULK_ACTIONS = {
    "status": Action.CHANGE_STATUS,
    "assign": Action.ASSIGN_SQUAD,
    "pin": Action.EDIT_CLUSTER,
    "unpin": Action.EDIT_CLUSTER,
    "spam": Action.RESHAPE,
}


def _reason(db: Session, agent: Agent, data: dict[str, Any]) -> str | None:
    """The typed reason; else the body of the chosen reply template (the page works without JavaScript: with it,
    choosing a template fills the reason, so the API's « template, then reason » would say it twice)."""
    if data.get("reason"):
        return data["reason"]
    if data.get("template_id"):
        return replies.get_template(db, agent, data["template_id"], field="template_id").body
    return None


def _ranking() -> RankingSettings:
    """Merges, unmerges, splits and moves rescore irritants with the configured weights."""
    return settings_of(current_app).ranking


def _common() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS_AGENT, "severity_labels": SEVERITY_LABELS}


# --- backlog ------------------------------------------------------------------------------------------------


@bp.get("/irritants")
def backlog_page() -> Any:
    """Ranked backlog of irritants with filters, sorting and pagination in the URL, and bulk actions."""
    agent = require(Action.VIEW_BACKLOG)
    return _backlog_response(agent)


def _backlog_response(agent: Agent, failure: forms.Failure | None = None, status: int = 200) -> Any:
    db = get_session()
    filters, filter_errors = backlog.parse_filters(request.args)
    # A correspondant's administration, whatever the URL says (and no other in the select).
    administration, refused = scope.narrowed(agent, filters.administration)
    filters = replace(filters, administration=administration)
    if refused:
        filter_errors["administration"] = refused
    administrations = referential.list_administrations(db)
    forced = forced_administration(agent)
    if forced:
        administrations = [a for a in administrations if a.slug == forced]
    if failure is not None:
        failure = replace(failure, reload_url=url_for("backoffice.backlog_page", **filters.as_query()))
    perceived = settings_of(current_app).feedback
    try:
        listed = backlog.backlog(db, filters, feedback_settings=perceived)
    except ValidationFailed as err:
        if forced:
            raise
        filter_errors.update(err.errors)
        filters = replace(filters, administration=None)
        listed = backlog.backlog(db, filters, feedback_settings=perceived)
    items = listed.items
    squads = backlog.list_squads(db)
    can = {op: bool(decide(agent, action)) for op, action in BULK_ACTIONS.items()}
    html = render_template(
        "backoffice/backlog.html",
        filters=filters,
        filter_errors=filter_errors,
        items=items,
        total=listed.total,
        pages=listed.pages,
        squads=squads,
        squad_names={s.id: s.name for s in squads},
        administrations=administrations,
        forced_administration=forced,
        admin_names=administration_names(db, [c.main_administration_id for c in items]),
        territories=referential.list_territories(db),
        sorts=backlog.SORTS,
        page_sizes=sorted({*backlog.PAGE_SIZES, filters.page_size}),
        periods=backlog.PERIOD_LABELS,
        can=can,
        bulk_statuses=[s for s in StatusKind if s not in irritant_page.DEDICATED] if can["status"] else [],
        templates=irritant_page.templates_for(db, agent) if any(can.values()) else [],
        failure=failure,
        suggestions=suggestions.backlog_suggestions(db, agent),
        unresolved=feedback.unresolved_cluster_ids(db, perceived),
        unresolved_share=perceived.unresolved_share,
        recluster=recluster_views.panel(db, agent),
        **_common(),
    )
    return html, status


@bp.post("/irritants/lot")
def bulk_action() -> Any:
    """Apply one decision to the ticked irritants that can receive it, then back to the same view of the backlog
    with what changed and, for each irritant left as it was, why."""
    agent = require(Action.VIEW_BACKLOG)
    db = get_session()
    try:
        require(BULK_ACTIONS.get(request.form.get("operation", ""), Action.CHANGE_STATUS))
        data = forms.load(inputs.TriageBulkBodySchema, request.form)
        result = bulk.apply(
            db,
            agent,
            data["cluster_ids"],
            data["operation"],
            to=data["to"],
            squad_id=data.get("squad_id"),
            routed_to=data["routed_to"],
            reason=_reason(db, agent, data),
            confirm_transfer=data["confirm_transfer"],
        )
        db.commit()
    except decisions.TransferNotConfirmed as err:
        db.rollback()
        return _backlog_response(agent, *forms.confirmation("lot", err, request.form))
    except (*SHOWN_ON_PAGE, StaleDataError) as err:
        db.rollback()
        return _backlog_response(agent, *forms.failure("lot", err, request.form, inputs.TriageBulkBodySchema))
    flash(result.summary(), "success")
    if result.skipped:
        head, lines = result.skipped_summary()
        flash({"text": head, "items": lines}, "warning")
    filters, _ = backlog.parse_filters(request.args)
    return redirect(url_for("backoffice.backlog_page", **filters.as_query()), 303)


# --- one irritant -------------------------------------------------------------------------------------------


@bp.get("/irritants/<int:cluster_id>")
def cluster_page(cluster_id: int) -> Any:
    """An irritant for agents: decisions, score, territories, similar irritants, reports and history."""
    agent = require(Action.VIEW_BACKLOG)
    return _cluster_response(agent, cluster_id)


def _int_arg(name: str, default: int = 1) -> int:
    value = request.args.get(name, "")
    return min(int(value), 100_000) if value.isdecimal() and int(value) > 0 else default


def _cluster_response(agent: Agent, cluster_id: int, failure: forms.Failure | None = None, status: int = 200) -> Any:
    context = irritant_page.cluster_context(
        get_session(),
        agent,
        cluster_id,
        page=_int_arg("page"),
        page_given="page" in request.args,
        query=request.args.get("cherche", "").strip()[:200],
        clustering=settings_of(current_app).clustering,
        feedback_settings=settings_of(current_app).feedback,
        failure=failure,
        reload_url=url_for("backoffice.cluster_page", cluster_id=cluster_id),
        effect_settings=settings_of(current_app).fix_effect,
    )
    return render_template("backoffice/cluster.html", **context, **_common()), status


class _Refused(Exception):
    """The policy refused a decision on an irritant the agent may see: told on its page, not on an error page."""

    def __init__(self, agent: Agent, cluster_id: int, error: Forbidden) -> None:
        super().__init__(error.detail)
        self.agent, self.cluster_id, self.error = agent, cluster_id, error


@bp.errorhandler(_Refused)
def _refused(refused: _Refused) -> Any:
    return _cluster_response(refused.agent, refused.cluster_id, *forms.failure("page", refused.error, request.form))


def _cluster_for(cluster_id: int, action: Action, **context: Any) -> tuple[Agent, Cluster]:
    agent = require(Action.VIEW_BACKLOG)  # anonymous: to the login page before anything else
    cluster = backlog.cluster_detail(get_session(), cluster_id)
    scope.check(get_session(), agent, Action.VIEW_BACKLOG, cluster)  # not even a refusal on another's irritant: 404
    try:
        require(action, cluster, **context)
    except Forbidden as err:  # e.g. the irritant went to another squad since the page was loaded
        raise _Refused(agent, cluster.id, err) from err
    return agent, cluster


Perform = Callable[[Session, dict[str, Any], str | None], tuple[str, int]]


def _decide(
    agent: Agent, page_id: int, form: str, schema: type[inputs.InputSchema], perform: Perform, **fixed: str
) -> Any:
    """Parse, perform, commit, then redirect with a notice; or the page again with the error and the input."""
    db = get_session()
    try:
        data = forms.load(schema, request.form, **fixed)
        message, target_id = perform(db, data, _reason(db, agent, data))
        db.commit()
    except decisions.TransferNotConfirmed as err:
        db.rollback()
        return _cluster_response(agent, page_id, *forms.confirmation(form, err, request.form))
    except (*SHOWN_ON_PAGE, StaleDataError) as err:
        db.rollback()
        return _cluster_response(agent, page_id, *forms.failure(form, err, request.form, schema))
    flash(message, "success")
    return redirect(url_for("backoffice.cluster_page", cluster_id=target_id), 303)


@bp.post("/irritants/<int:cluster_id>/libelle")
def edit_label(cluster_id: int) -> Any:
    agent, cluster = _cluster_for(cluster_id, Action.EDIT_CLUSTER)

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        decisions.edit_label(
            db, agent, cluster.id, data["label"], data["keywords"], expected_version=data["expected_version"],
            reason=reason,
        )  # fmt: skip
        return "Libellé et mots-clés enregistrés : un nouveau regroupement les conservera.", cluster.id

    return _decide(agent, cluster.id, "libelle", inputs.TriageLabelBodySchema, perform)


@bp.post("/irritants/<int:cluster_id>/statut")
def change_status(cluster_id: int) -> Any:
    agent, cluster = _cluster_for(cluster_id, Action.CHANGE_STATUS, to=request.form.get("to", ""))

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        changed = decisions.change_status(
            db, agent, cluster.id, data["to"], expected_version=data["expected_version"], reason=reason,
            public_note=data["public_note"],
        )  # fmt: skip
        return f"Statut changé : « {STATUS_LABELS_AGENT[changed.status]} ».", cluster.id

    return _decide(agent, cluster.id, "statut", inputs.TriageStatusBodySchema, perform)


@bp.post("/irritants/<int:cluster_id>/start-up")
def assign_squad(cluster_id: int) -> Any:
    agent, cluster = _cluster_for(cluster_id, Action.ASSIGN_SQUAD)

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        decisions.assign_squad(
            db, agent, cluster.id, data["squad_id"], expected_version=data["expected_version"], reason=reason,
            confirm_transfer=data["confirm_transfer"],
        )  # fmt: skip
        if data["squad_id"] is None:
            return "L'irritant n'est plus confié à une start-up d'État.", cluster.id
        name = {s.id: s.name for s in backlog.list_squads(db)}.get(data["squad_id"], "")
        notice = f"Irritant confié à la start-up d'État « {name} »."
        if not decide(agent, Action.ASSIGN_SQUAD, cluster):  # handed over (confirmed): say who holds it now
            notice += " Seuls ses responsables produit et les administrateurs peuvent désormais agir dessus."
        return notice, cluster.id

    return _decide(agent, cluster.id, "start-up", inputs.TriageAssignBodySchema, perform)


@bp.post("/irritants/<int:cluster_id>/epinglage")
def set_pinned(cluster_id: int) -> Any:
    agent, cluster = _cluster_for(cluster_id, Action.EDIT_CLUSTER)

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        decisions.set_pinned(
            db, agent, cluster.id, data["pinned"], expected_version=data["expected_version"], reason=reason
        )
        if data["pinned"]:
            return "Irritant épinglé : un nouveau regroupement ne le modifiera pas.", cluster.id
        return "Irritant désépinglé.", cluster.id

    return _decide(agent, cluster.id, "epinglage", inputs.TriagePinBodySchema, perform)


@bp.post("/irritants/<int:cluster_id>/correctif")
def declare_fix(cluster_id: int) -> Any:
    """« Correctif livré »: the one way to « Corrigé », with the day and the note citizens read."""
    agent, cluster = _cluster_for(cluster_id, Action.DECLARE_FIX)

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        fixes.declare_fix(
            db, agent, cluster.id, fixed_on=data["fixed_on"], public_note=data["public_note"],
            expected_version=data["expected_version"], reason=reason,
        )  # fmt: skip
        return f"Correctif livré le {data['fixed_on']:%d/%m/%Y} : l'irritant est « Corrigé ».", cluster.id

    return _decide(agent, cluster.id, "correctif", inputs.TriageFixBodySchema, perform)


def _status_form(cluster_id: int, form: str, to: StatusKind, message: str) -> Any:
    """Duplicate, not our scope, spam: a status change with what it needs, on their own forms."""
    agent, cluster = _cluster_for(cluster_id, Action.RESHAPE)

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        decisions.change_status(
            db, agent, cluster.id, data["to"], expected_version=data["expected_version"], reason=reason,
            routed_to=data["routed_to"], duplicate_of=data["duplicate_of"],
        )  # fmt: skip
        return message, cluster.id

    return _decide(agent, cluster.id, form, inputs.TriageStatusBodySchema, perform, to=to.value)


@bp.post("/irritants/<int:cluster_id>/doublon")
def mark_duplicate(cluster_id: int) -> Any:
    return _status_form(cluster_id, "doublon", StatusKind.DUPLICATE, "Irritant marqué comme doublon.")


@bp.post("/irritants/<int:cluster_id>/hors-perimetre")
def not_our_scope(cluster_id: int) -> Any:
    return _status_form(
        cluster_id, "hors-perimetre", StatusKind.NOT_OUR_SCOPE, "Irritant noté hors périmètre et transmis."
    )


@bp.post("/irritants/<int:cluster_id>/indesirable")
def mark_spam(cluster_id: int) -> Any:
    return _status_form(cluster_id, "indesirable", StatusKind.SPAM, "Irritant marqué comme indésirable.")


@bp.post("/irritants/<int:cluster_id>/fusion")
def merge(cluster_id: int) -> Any:
    agent, cluster = _cluster_for(cluster_id, Action.RESHAPE)

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        versions = {cluster.id: data["expected_version"]} if data["expected_version"] else None
        merges.merge(
            db, agent, cluster.id, data["source_ids"], ranking=_ranking(), expected_versions=versions, reason=reason
        )
        numbers = ", ".join(f"n° {i}" for i in data["source_ids"])
        return f"Fusion faite : {numbers} regroupé{'s' if len(data['source_ids']) > 1 else ''} ici.", cluster.id

    return _decide(agent, cluster.id, "fusion", inputs.TriageMergeBodySchema, perform)


@bp.post("/irritants/<int:cluster_id>/defusion")
def unmerge(cluster_id: int) -> Any:
    """Take a merged irritant back out (from its page or the page of the irritant it was merged into)."""
    agent, source = _cluster_for(cluster_id, Action.RESHAPE)
    origin = request.form.get("depuis", "")
    page_id = int(origin) if origin.isdecimal() and 0 < int(origin) <= backlog.MAX_ID else source.id

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        merges.unmerge(db, agent, source.id, ranking=_ranking(), reason=reason)
        return f"Fusion annulée : l'irritant n° {source.id} est de nouveau séparé.", page_id

    return _decide(agent, page_id, f"defusion-{source.id}", inputs.TriageReasonBodySchema, perform)


@bp.post("/irritants/<int:cluster_id>/signalements")
def reshape_reports(cluster_id: int) -> Any:
    """The ticked reports become a new irritant (« scinder ») or go to another one (« déplacer »)."""
    agent, cluster = _cluster_for(cluster_id, Action.RESHAPE)
    moving = request.form.get("action") == "deplacer"

    def perform(db: Session, data: dict[str, Any], reason: str | None) -> tuple[str, int]:
        count = len(data["report_ids"])
        plural = "s" if count > 1 else ""
        if moving:
            target = data["to_cluster_id"]
            for report_id in data["report_ids"]:
                splits.move_report(db, agent, report_id, target, ranking=_ranking(), reason=reason)
            return f"{count} signalement{plural} déplacé{plural} vers l'irritant n° {target}.", cluster.id
        created = splits.split(
            db, agent, cluster.id, data["report_ids"], ranking=_ranking(), label=data["label"],
            expected_version=data["expected_version"], reason=reason,
        )  # fmt: skip
        return f"Nouvel irritant n° {created.id} créé avec {count} signalement{plural}.", created.id

    schema = inputs.MoveReportsSchema if moving else inputs.TriageSplitBodySchema
    return _decide(agent, cluster.id, "signalements", schema, perform)


# The reply templates' pages and the merge suggestions' forms (apart to keep modules short) are on this blueprint too.
templates_views.add_routes(bp)
suggestions_views.add_routes(bp, _backlog_response, _cluster_response)
questions_views.add_routes(bp, _cluster_response)
answers_views.add_routes(bp, _cluster_response)
recluster_views.add_routes(bp)
