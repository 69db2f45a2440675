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
from flask import flash, redirect, render_template, request, url_for
from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from irritants.auth.access import require
from irritants.auth.exceptions import Forbidden
from irritants.auth.policy import Action, Agent, decide
from irritants.db import get_session
from irritants.errors import ValidationFailed
from irritants.squads.models import Squad
from irritants.triage import backlog
from irritants.triage import templates as replies
from irritants.triage.backoffice import bp
from irritants.triage.models import ReplyTemplate

MAX_ID = 2**31 - 1
SHARED = "partage"
SHARED_LABEL = "Partagé (toutes les équipes)"
LABELS = {"title": "Titre", "body": "Texte du modèle", "squad": "Destinataires"}
# The service names the squad ``squad_id``; the form field is ``squad``.
FIELD_ALIASES = {"squad_id": "squad"}

_TITLE_MISSING = "Donnez un titre au modèle."
_BODY_MISSING = "Rédigez le texte du modèle."
_SQUAD_MISSING = "Choisissez à qui le modèle est destiné."


class TemplateEditForm(ma.Schema):
    """Title and text of a template (the service checks the same limits again)."""

    title = fields.String(
        required=True,
        validate=validate.Length(
            max=replies.TITLE_MAX, error=f"Le titre ne doit pas dépasser {replies.TITLE_MAX} caractères."
        ),
        error_messages={"required": _TITLE_MISSING, "null": _TITLE_MISSING, "invalid": _TITLE_MISSING},
    )
    body = fields.String(
        required=True,
        validate=validate.Length(
            max=replies.BODY_MAX, error=f"Le texte ne doit pas dépasser {replies.BODY_MAX} caractères."
        ),
        error_messages={"required": _BODY_MISSING, "null": _BODY_MISSING, "invalid": _BODY_MISSING},
    )

    @ma.pre_load
    def _blanks(self, data: Any, **_: Any) -> Any:
        # Blank text boxes are missing values; titles are kept on one line, as the service stores them.
        cleaned = {k: v.strip() for k, v in data.items() if isinstance(v, str)}
        if "title" in cleaned:
            cleaned["title"] = " ".join(cleaned["title"].split())
        return {k: v for k, v in cleaned.items() if v}


class TemplateCreateForm(TemplateEditForm):
    """A new template: for everyone (« partage ») or for one squad."""

    squad = fields.String(
        required=True,
        validate=validate.Regexp(rf"^({SHARED}|\d{{1,9}})$", error="Choisissez les destinataires dans la liste."),
        error_messages={"required": _SQUAD_MISSING, "null": _SQUAD_MISSING, "invalid": _SQUAD_MISSING},
    )

    @ma.post_load
    def _squad_id(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        squad = data.pop("squad")
        data["squad_id"] = None if squad == SHARED else int(squad)
        return data


def _load(schema: type[ma.Schema]) -> dict[str, Any]:
    data = {name: request.form.get(name, "") for name in schema().fields}
    try:
        return schema().load(data)
    except ma.ValidationError as err:
        raise ValidationFailed("Le formulaire contient des erreurs.", errors=err.normalized_messages()) from err


def _errors(error: ValidationFailed) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, messages in (error.errors or {"_form": [error.detail]}).items():
        items = messages if isinstance(messages, list | tuple) else [messages]
        errors.setdefault(FIELD_ALIASES.get(name, name), []).extend(str(m) for m in items)
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


@bp.get("/modeles")
def templates_page() -> Any:
    """Reply templates the agent may use, with the forms to create, edit and delete the ones they manage."""
    agent = require(Action.VIEW_BACKLOG)
    return _page(agent)


@bp.post("/modeles")
def create_template() -> Any:
    """Create a template, shared or for one of the agent's squads."""
    agent = require(Action.VIEW_BACKLOG)
    db = get_session()
    if not _audiences(agent, backlog.list_squads(db)):
        raise Forbidden("Vous ne pouvez pas créer de modèle de réponse.")
    try:
        data = _load(TemplateCreateForm)
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


@bp.post("/modeles/<int:template_id>")
def update_template(template_id: int) -> Any:
    """Change a template's title and text (whom it is for stays as it was created)."""
    agent = require(Action.VIEW_BACKLOG)
    db = get_session()
    template = _managed(agent, template_id)
    before = (template.title, template.body)
    try:
        data = _load(TemplateEditForm)
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


@bp.post("/modeles/<int:template_id>/suppression")
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
