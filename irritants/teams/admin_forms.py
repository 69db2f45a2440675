"""What the administrators' forms of squads and accounts share: reading a posted form with its one schema into
field messages, and a commit that turns a concurrent edit into the 409 every door gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from sqlalchemy.orm.exc import StaleDataError

from irritants.db import get_session
from irritants.errors import StaleObject, ValidationFailed

FORM_INVALID = "Le formulaire contient des erreurs : corrigez-les puis envoyez-le à nouveau."


def load(schema: ma.Schema, data: Any) -> dict[str, Any]:
    """``data`` (a posted form or a dict) read by the input's one schema; ValidationFailed with French messages
    keyed by field."""
    try:
        return schema.load(data)
    except ma.ValidationError as err:
        raise ValidationFailed(FORM_INVALID, errors=field_errors(err.normalized_messages())) from err


def field_errors(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    """Messages by form field (a list's messages, per position, flattened; « _schema » is the whole form's)."""
    errors: dict[str, list[str]] = {}
    for name, value in messages.items():
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else [value]
        flat = [m for item in items for m in (item if isinstance(item, list | tuple) else [item])]
        errors.setdefault("_form" if name == "_schema" else name, []).extend(dict.fromkeys(map(str, flat)))
    return errors


def refused(err: ValidationFailed | StaleObject) -> dict[str, list[str]]:
    """A refused form's messages: by field, else the whole form's."""
    return field_errors(err.errors) if err.errors else {"_form": [err.detail]}


def commit(stale_message: str) -> None:
    """Commit the request's transaction; a concurrent update of a versioned row becomes a 409, nothing written."""
    db = get_session()
    try:
        db.commit()
    except StaleDataError as exc:
        db.rollback()
        raise StaleObject(stale_message) from exc
