"""The input of an administration's public answer (back-office form), with French messages."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, post_load, validate, validates

from irritants.forms import InputSchema
from irritants.sanitize import clean_text

TEXT_MIN = 10
TEXT_MAX = 4000


class AnswerSchema(InputSchema):
    """The answer's text; for an administrator, the administration it speaks for (a correspondant's is their own);
    the version seen, when the answer already exists (two correspondants must not overwrite each other)."""

    FORM_NAMES: ClassVar[dict[str, str]] = {"text": "texte"}

    text = fields.String(
        required=True,
        error_messages={"required": "Écrivez la réponse.", "null": "Écrivez la réponse."},
    )
    administration = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=60, error="Administration inconnue.")
    )
    expected_version = fields.Integer(load_default=None, allow_none=True, strict=True)

    @validates("text")
    def _check_text(self, value: str, **_: Any) -> None:
        text = clean_text(value)
        if len(text) < TEXT_MIN:
            raise ValidationError(f"La réponse doit compter au moins {TEXT_MIN} caractères.")
        if len(text) > TEXT_MAX:
            raise ValidationError(f"La réponse ne doit pas dépasser {TEXT_MAX} caractères (actuellement {len(text)}).")

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["text"] = clean_text(data["text"])
        return data
