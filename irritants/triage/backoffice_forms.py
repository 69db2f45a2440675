"""The back-office decision forms: reading a posted form with the decision's one schema (``triage.schemas``,
shared with the API), and a refused decision as its page shows it (messages next to their form field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from irritants.auth.exceptions import StaleObject
from irritants.errors import ValidationFailed
from irritants.triage.schemas import InputSchema
from irritants.triage.workflow import STALE_MESSAGE


class FormInvalid(ValidationFailed):
    """A decision form with invalid fields (422): shown again with its messages and the input kept."""


def load(schema: type[InputSchema], form: MultiDict, **fixed: str) -> dict[str, Any]:
    """A posted form read and checked by the decision's one schema (``fixed``: values the view sets, such as the
    status of the duplicate form); FormInvalid with French messages per field (see ``failure``)."""
    posted = MultiDict(form)
    for name, value in fixed.items():
        posted.setlist(schema.form_name(name), [value])
    try:
        return schema().load(posted)
    except ma.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise FormInvalid(
            "Le formulaire contient des erreurs : corrigez-les puis envoyez-le à nouveau.",
            errors={k: list(dict.fromkeys(_messages(v))) for k, v in messages.items()},
        ) from err


@dataclass(frozen=True)
class Failure:
    """A refused form: which one, why, the field messages, and what was typed (shown again)."""

    form: str
    message: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    values: Any = field(default_factory=MultiDict)
    # The page's own (GET) address: the refused page is shown at the form's address, where reloading posts again.
    reload_url: str = ""
    kind: str = "error"  # or "confirm": nothing is wrong, but the decision needs the agent's confirmation first


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):  # per position in a list of ids
        return [m for item in value.values() for m in _messages(item)]
    return [str(m) for m in value] if isinstance(value, list | tuple) else [str(value)]


def failure(form: str, error: Exception, values: Any, schema: type[InputSchema] = InputSchema) -> tuple[Failure, int]:
    """A refused decision as the page shows it (messages by form field, named as ``schema`` reads them from the
    form), and its HTTP status."""
    if isinstance(error, StaleDataError):
        error = StaleObject(STALE_MESSAGE)
    errors: dict[str, list[str]] = {}
    for name, value in (getattr(error, "errors", None) or {}).items():
        shown = "_form" if name == "_schema" else schema.form_name(name)
        errors.setdefault(shown, []).extend(_messages(value))
    detail = getattr(error, "detail", str(error))
    if isinstance(error, ValidationFailed) and detail == ValidationFailed.title and errors:
        detail = "La décision a été refusée : voir le détail ci-dessous."
    return Failure(form, detail, errors, values), getattr(error, "status", 409)


def confirmation(form: str, error: Exception, values: Any) -> tuple[Failure, int]:
    """A decision that needs the agent's confirmation (e.g. a transfer out of their hands): the page asks, 200."""
    return Failure(form, getattr(error, "detail", str(error)), {}, values, kind="confirm"), 200
