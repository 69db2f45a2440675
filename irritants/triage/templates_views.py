"""« Modèles de réponse » in the back-office: list, create, edit and delete the reusable reasons of decisions.

Same shape as ``backoffice.py``: ask the policy, parse the form, call ``triage.templates`` (which asks the policy
again and writes the audit event), commit, redirect with a notice. Invalid input shows the page again with an
error summary and what was typed (422). Editing and the confirmation of a deletion are second steps of the same
page (``?modifier=<id>``, ``?supprimer=<id>``): plain links and forms, no script needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from irritants.auth.access import require
from irritants.auth.exceptions import Forbidden
from irritants.auth.policy import Action, Agent, decide
from irritants.db import get_session
from irritants.errors import ValidationFailed
from irritants.squads.models import Squad
from irritants.triage import backlog
from irritants.triage import templates as replies
from irritants.triage.models import ReplyTemplate
from irritants.triage.schemas import TriageTemplateCreateSchema

MAX_ID = 2**31 - 1
SHARED = TriageTemplateCreateSchema.SHARED
SHARED_LABEL = "Partagé (toutes les équipes)"
LABELS = {"title": "Titre", "body": "Texte du modèle", "squad": "Destinataires"}


def _load(schema: ma.Schema) -> dict[str, Any]:
    """The posted form, read by the template's one schema (shared with the API)."""
    try:
        return schema.load(request.form)
    except ma.ValidationError as err:
        raise ValidationFailed("Le formulaire contient des erreurs.", errors=err.normalized_messages()) from err


def _errors(error: ValidationFailed) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, messages in (error.errors or {"_form": [error.detail]}).items():
        items = messages if isinstance(messages, list | tuple) else [messages]
        errors.setdefault(TriageTemplateCreateSchema.form_name(name), []).extend(str(m) for m in items)
    return errors


@dataclass(frozen=True)
class _Draft:
    """A template not written yet, as the policy sees it: only whom it is for matters."""

    squad_id: int | None


def _audiences(agent: Agent, squads: list[Squad]) -> list[tuple[str, str]]:
    """Whom this agent may write a new template for: everyone, and the squads the policy lets them."""
    options = [(SHARED, SHARED_LABEL, None), *((str(s.id), s.name, s.id) for s in squads)]
    return [
        (value, label)
        for value, label, squad_id in options
        if decide(agent, Action.MANAGE_TEMPLATES, _Draft(squad_id), creating=True)
    ]


def _audience(names: dict[int, str], squad_id: int | None) -> str:
    return names.get(squad_id, "") if squad_id is not None else SHARED_LABEL


def _step(agent: Agent, name: str) -> ReplyTemplate | None:
    """The template named by ``?modifier=`` or ``?supprimer=``: 404 if unknown or hidden, 403 if not the agent's."""
    value = request.args.get(name, "")
    if not value:
        return None
    template = replies.get_template(get_session(), agent, min(int(value), MAX_ID) if value.isdecimal() else 0)
    require(Action.MANAGE_TEMPLATES, template)
    return template


def _page(
    agent: Agent,
    *,
    form: Any = None,
    errors: dict[str, list[str]] | None = None,
    editing: ReplyTemplate | None = None,
    status: int = 200,
) -> Any:
    db = get_session()
    squads = backlog.list_squads(db)
    names = {s.id: s.name for s in squads}
    editing = editing or _step(agent, "modifier")
    deleting = None if editing else _step(agent, "supprimer")
    rows = [
        {
            "template": t,
            "audience": _audience(names, t.squad_id),
            "manage": bool(decide(agent, Action.MANAGE_TEMPLATES, t)),
        }
        for t in replies.list_templates(db, agent)
    ]
    audiences = _audiences(agent, squads)
    if form is None:
        values = {"title": editing.title, "body": editing.body} if editing else {}
        form = MultiDict({**values, "squad": audiences[0][0] if audiences else ""})
    html = render_template(
        "backoffice/templates.html",
        rows=rows,
        audiences=audiences,
        editing=editing,
        editing_audience=_audience(names, editing.squad_id) if editing else "",
        deleting=deleting,
        form=form,
        errors=errors or {},
        labels=LABELS,
        title_max=replies.TITLE_MAX,
        body_max=replies.BODY_MAX,
    )
    return html, status


def templates_page() -> Any:
    """Reply templates the agent may use, with the forms to create, edit and delete the ones they manage."""
    agent = require(Action.VIEW_BACKLOG)
    return _page(agent)


def create_template() -> Any:
    """Create a template, shared or for one of the agent's squads."""
    agent = require(Action.VIEW_BACKLOG)
    db = get_session()
    if not _audiences(agent, backlog.list_squads(db)):
        raise Forbidden("Vous ne pouvez pas créer de modèle de réponse.")
    try:
        data = _load(TriageTemplateCreateSchema())
        template = replies.create_template(db, agent, data["title"], data["body"], squad_id=data["squad_id"])
        db.commit()
    except ValidationFailed as err:
        db.rollback()
        return _page(agent, form=request.form, errors=_errors(err), status=422)
    flash(f"Modèle « {template.title} » créé : il est proposé dans les formulaires de décision.", "success")
    return redirect(url_for("backoffice.templates_page"), 303)


def _managed(agent: Agent, template_id: int) -> ReplyTemplate:
    """A template the agent may change: 404 when they may not know it, 403 when they may only use it."""
    template = replies.get_template(get_session(), agent, min(template_id, MAX_ID))
    require(Action.MANAGE_TEMPLATES, template)
    return template


def update_template(template_id: int) -> Any:
    """Change a template's title and text (whom it is for stays as it was created)."""
    agent = require(Action.VIEW_BACKLOG)
    db = get_session()
    template = _managed(agent, template_id)
    before = (template.title, template.body)
    try:
        data = _load(TriageTemplateCreateSchema(only=("title", "body")))  # whom it is for stays
        template = replies.update_template(db, agent, template.id, data["title"], data["body"])
        db.commit()
    except ValidationFailed as err:
        db.rollback()
        editing = _managed(agent, template_id)
        return _page(agent, form=request.form, errors=_errors(err), editing=editing, status=422)
    if (template.title, template.body) == before:
        flash(f"Aucune modification : le modèle « {template.title} » est inchangé.", "info")
    else:
        flash(f"Modèle « {template.title} » enregistré.", "success")
    return redirect(url_for("backoffice.templates_page"), 303)


def delete_template(template_id: int) -> Any:
    """Delete a template, once confirmed on the second step; reasons already written with it stay in the history."""
    agent = require(Action.VIEW_BACKLOG)
    db = get_session()
    template = _managed(agent, template_id)
    title = template.title
    replies.delete_template(db, agent, template.id)
    db.commit()
    flash(f"Modèle « {title} » supprimé. Les motifs déjà rédigés avec lui restent dans l’historique.", "success")
    return redirect(url_for("backoffice.templates_page"), 303)


def add_routes(bp: Blueprint) -> None:
    """Hang these pages on the back-office blueprint (``triage/backoffice.py`` calls this once, at its import)."""
    bp.add_url_rule("/modeles", view_func=templates_page, methods=["GET"])
    bp.add_url_rule("/modeles", view_func=create_template, methods=["POST"])
    bp.add_url_rule("/modeles/<int:template_id>", view_func=update_template, methods=["POST"])
    bp.add_url_rule("/modeles/<int:template_id>/suppression", view_func=delete_template, methods=["POST"])
