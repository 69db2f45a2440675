"""Reply templates: reusable reason texts for decisions, shared by everyone or kept to one squad.

Same contract as decisions.py: session first, agent second, policy asked here, one audit event per change,
never a commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.audit.services import record
from irritants.auth.policy import Action, Agent, decide
from irritants.errors import NotFoundError, ValidationFailed
from irritants.paging import ordered
from irritants.sanitize import clean_line, clean_text
from irritants.squads.models import Squad
from irritants.triage.models import ReplyTemplate
from irritants.triage.workflow import REASON_MAX, allow, clean_reason, invalid

TITLE_MAX = 200
BODY_MAX = REASON_MAX


def _visible(agent: Agent, template: ReplyTemplate) -> bool:
    # The policy answers 404 for another squad's template: the agent may not even know it exists.
    return decide(agent, Action.MANAGE_TEMPLATES, template).status != 404


# What the list of templates may be sorted by: shared ones come first whichever the order, then their squads'.
TEMPLATE_SORTS = ("title", "created_at")


def list_templates(session: Session, agent: Agent, *, sort: str = "title") -> list[ReplyTemplate]:
    """Templates the agent may use: shared ones, then their squads' (every squad's for an admin), each group in the
    ``sort`` order (by title by default)."""
    allow(agent, Action.VIEW_BACKLOG)
    stmt = select(ReplyTemplate).order_by(ReplyTemplate.squad_id.is_not(None))
    stmt = ordered(
        stmt, sort, {"title": ReplyTemplate.title, "created_at": ReplyTemplate.created_at}, tiebreak=ReplyTemplate.id
    )
    return [t for t in session.scalars(stmt) if _visible(agent, t)]


def get_template(session: Session, agent: Agent, template_id: int, *, field: str | None = None) -> ReplyTemplate:
    """A template the agent may use; 404 (or 422 on ``field`` when referenced from a request body)."""
    allow(agent, Action.VIEW_BACKLOG)
    template = session.get(ReplyTemplate, template_id) if 0 < template_id < 2**31 else None
    if template is None or not _visible(agent, template):
        if field:
            raise invalid(field, "Modèle de réponse introuvable.")
        raise NotFoundError("Modèle de réponse introuvable.")
    return template


def reason_with_template(session: Session, agent: Agent, template_id: int | None, reason: str | None) -> str | None:
    """The reason of a decision: the template's text, followed by the agent's own words if any."""
    if template_id is None:
        return reason
    body = get_template(session, agent, template_id, field="template_id").body
    own = clean_text(reason or "")
    return clean_reason(f"{body}\n\n{own}" if own else body)


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = clean_line(title or ""), clean_text(body or "")
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Donnez un titre au modèle."]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"Le titre ne doit pas dépasser {TITLE_MAX} caractères."]
    if not body:
        errors["body"] = ["Rédigez le texte du modèle."]
    elif len(body) > BODY_MAX:
        errors["body"] = [f"Le texte ne doit pas dépasser {BODY_MAX} caractères."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return title, body


def _fields(template: ReplyTemplate) -> dict[str, Any]:
    return {"title": template.title, "body": template.body, "squad_id": template.squad_id}


def create_template(
    session: Session, agent: Agent, title: str, body: str, squad_id: int | None = None
) -> ReplyTemplate:
    """A new template, shared (``squad_id`` None) or for one of the agent's squads."""
    template = ReplyTemplate(squad_id=squad_id, created_by_id=agent.user_id)
    allow(agent, Action.MANAGE_TEMPLATES, template, creating=True)
    template.title, template.body = _clean(title, body)
    if squad_id is not None and (not 0 < squad_id < 2**31 or session.get(Squad, squad_id) is None):
        raise invalid("squad_id", "Start-up d'État inconnue.")
    session.add(template)
    session.flush()
    record(session, agent, "template.create", "template", template.id, after=_fields(template))
    return template


def update_template(session: Session, agent: Agent, template_id: int, title: str, body: str) -> ReplyTemplate:
    """Change a template's title and text (no event when nothing changes)."""
    template = get_template(session, agent, template_id)
    allow(agent, Action.MANAGE_TEMPLATES, template)
    title, body = _clean(title, body)
    if (template.title, template.body) == (title, body):
        return template
    before = _fields(template)
    template.title, template.body = title, body
    session.flush()
    record(session, agent, "template.update", "template", template.id, before=before, after=_fields(template))
    return template


def delete_template(session: Session, agent: Agent, template_id: int) -> None:
    """Delete a template (reasons already written with it are kept in the audit log)."""
    template = get_template(session, agent, template_id)
    allow(agent, Action.MANAGE_TEMPLATES, template)
    record(session, agent, "template.delete", "template", template.id, before=_fields(template))
    session.delete(template)
    session.flush()
