"""What registering and changing a webhook endpoint take: one schema per input, for the API and the back-office
forms alike. The URL's rules that depend on the settings (https, public addresses) are the service's."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from irritants.forms import InputSchema
from irritants.webhooks.models import URL_MAX, WebhookEvent

REQUIRED = "Ce champ est obligatoire."
EVENTS_MESSAGE = "Choisissez au moins un événement parmi : " + ", ".join(e.value for e in WebhookEvent) + "."


def _url(*, required: bool) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(min=1, max=URL_MAX, error=f"Une adresse de {URL_MAX} caractères au plus."),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "Un texte est attendu."},
        metadata={"description": "Adresse https:// de l'outil qui reçoit les événements", "x-one-line": True},
    )


def _events(*, required: bool) -> fields.List:
    return fields.List(
        fields.Enum(
            WebhookEvent,
            by_value=True,
            error_messages={"unknown": "Événement inconnu. " + EVENTS_MESSAGE},
        ),
        required=required,
        validate=validate.Length(min=1, error=EVENTS_MESSAGE),
        error_messages={"required": EVENTS_MESSAGE, "null": EVENTS_MESSAGE, "invalid": "Une liste est attendue."},
        metadata={"description": "Événements envoyés à cette adresse"},
    )


class _Unique(InputSchema):
    @ma.post_load
    def _dedupe(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "url" in data:
            data["url"] = data["url"].strip()
        if "events" in data:
            data["events"] = sorted(set(data["events"]), key=list(WebhookEvent).index)
        return data


class WebhookCreateSchema(_Unique):
    url = _url(required=True)
    events = _events(required=True)


class WebhookPatchSchema(_Unique):
    url = _url(required=False)
    events = _events(required=False)
    active = fields.Boolean(
        error_messages={"invalid": "true ou false est attendu."},
        metadata={"description": "false : plus rien n'est envoyé (les envois en attente abandonnent) ; true : reprise"},
    )

    @ma.validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ma.ValidationError("Rien à modifier : url, events ou active.", "_schema")
