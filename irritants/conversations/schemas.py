"""The inputs of a report's follow-up: a message (question, reply, details) and the address of « lien perdu »."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates

from irritants.forms import InputSchema
from irritants.intake.schemas import MESSAGES, _Email, _Text
from irritants.sanitize import clean_text

BODY_MIN = 2
BODY_MAX = 2000


class _Body(InputSchema):
    body = _Text(required=True, error_messages=MESSAGES)

    @validates("body")
    def _check_body(self, value: str, **_: Any) -> None:
        text = clean_text(value)
        if len(text) < BODY_MIN:
            raise ValidationError("Écrivez votre message.")
        if len(text) > BODY_MAX:
            raise ValidationError(f"Le message ne doit pas dépasser {BODY_MAX} caractères (actuellement {len(text)}).")

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["body"] = clean_text(data["body"])
        return data


class MessageSchema(_Body):
    """The author's reply to a question (``question``: its id) or details they add (no ``question``)."""

    question = fields.Integer(load_default=None, allow_none=True, strict=True, error_messages=MESSAGES)


class QuestionSchema(_Body):
    """An agent's question to the author of one report of the irritant."""

    FORM_NAMES: ClassVar[dict[str, str]] = {"report_id": "signalement", "body": "question"}

    report_id = fields.Integer(
        required=True, strict=True, error_messages={**MESSAGES, "required": "Choisissez le signalement."}
    )


class AddressSchema(Schema):
    """« J'ai perdu mon lien de suivi » : the address the reports were followed with."""

    email = _Email(
        required=True,
        validate=validate.Length(max=254, error="Adresse trop longue."),
        error_messages={**MESSAGES, "invalid": "Indiquez une adresse électronique valide, par exemple nom@domaine.fr."},
    )

    @pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            return {**data, "email": data["email"].strip()}
        return data


class MessageOutSchema(Schema):
    """A message of a report's conversation, as its author reads it (never an agent's name nor an address)."""

    id = fields.Integer(metadata={"description": "Identifiant du message (à donner dans `question` pour y répondre)."})
    kind = fields.Method(
        "_kind", metadata={"description": "`question` (de l'équipe), `reply` (réponse) ou `details` (précisions)."}
    )
    body = fields.String(metadata={"description": "Le texte du message."})
    created_at = fields.DateTime()
    in_reply_to = fields.Integer(attribute="in_reply_to_id", allow_none=True)
    answered = fields.Method("_answered", metadata={"description": "Pour une question : a-t-elle eu sa réponse ?"})

    def _kind(self, message: Any) -> str:
        if message.is_question:
            return "question"
        return "reply" if message.in_reply_to_id else "details"

    def _answered(self, message: Any) -> bool | None:
        return message.answered_at is not None if message.is_question else None
