"""« C'est aussi mon cas » as sent by its two doors, the irritant's page and ``POST /api/v1/clusters/<id>/supports``."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, post_load, pre_load, validates_schema

from irritants.intake.schemas import BODY_MESSAGES, blank_to_none, check_contact_pair, consent_field, email_field

SUPPORT_FIELD_LABELS = {"email": "Adresse électronique", "contact_consent": "Consentement"}


class SupportCreateSchema(Schema):
    """An optional email, with its consent, to hear how the irritant goes; nothing else is asked of the person."""

    class Meta:
        ordered = True

    error_messages: ClassVar[dict[str, str]] = BODY_MESSAGES

    email = email_field(
        "Adresse pour être informé par courriel de l'avancement de l'irritant (facultatif, avec consentement). "
        "Elle n'est jamais publiée."
    )
    contact_consent = consent_field()

    @pre_load
    def _blank_to_none(self, data: Any, **_: Any) -> Any:
        return blank_to_none(data)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check_consent(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        check_contact_pair(data, original)

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("email"):
            data["email"] = data["email"].strip()
        return data
