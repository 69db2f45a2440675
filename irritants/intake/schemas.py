"""Report schemas and the moderators' decision, each shared by its form and the JSON API."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates, validates_schema

from irritants.intake.models import Severity
from irritants.sanitize import clean_text, forbidden_character, refusal
from irritants.status import StatusKind

DESCRIPTION_MIN = 20
DESCRIPTION_MAX = 4000
EARLIEST_OCCURRENCE = dt.date(1990, 1, 1)
# Réunion and Mayotte are the French territories furthest ahead of UTC in the référentiel.
_AHEAD_ZONES = (ZoneInfo("Europe/Paris"), ZoneInfo("Indian/Reunion"))
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_TERRITORY = re.compile(r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-46])$")

# Per-field messages about unknown references (administration, procedure, territory, channel) in loaded data.
References = Callable[[dict[str, Any]], dict[str, list[str]]]

REQUIRED = "Ce champ est obligatoire."
# What a citizen's body (form or JSON) is told as a whole: a field not asked for, or not an object at all.
BODY_MESSAGES = {"unknown": "Champ inconnu ou réservé au service.", "type": "Un objet JSON est attendu."}
MESSAGES = {
    "required": REQUIRED,
    "null": REQUIRED,
    "invalid": "Valeur invalide.",
}

FIELD_LABELS = {
    "description": "Description",
    "administration": "Administration concernée",
    "procedure": "Démarche concernée",
    "territory": "Département",
    "channel": "Canal utilisé",
    "severity": "Gravité",
    "occurred_on": "Date",
    "assisted": "Aide d'un conseiller France Services",
    "email": "Adresse électronique",
    "contact_consent": "Consentement",
}


def paris_today() -> dt.date:
    """The latest calendar date anywhere in the French territories we serve."""
    now = dt.datetime.now(dt.UTC)
    return max(now.astimezone(zone).date() for zone in _AHEAD_ZONES)


class _Text(fields.String):
    """A string refusing control characters (NUL included), whatever the door: form, API, CSV import."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        result = super()._deserialize(value, attr, data, **kwargs)
        char = forbidden_character(result)
        if char:
            raise ValidationError(refusal(char))
        return result


class _Email(_Text):
    """An email address. Not a ``fields.Email`` for the OpenAPI document's sake: that would document every value as
    ``format: email`` while a blank one is taken as no address at all (see :func:`email_field`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Email(error=self.error_messages["invalid"]))


# What the document says of an optional email: an address, or empty (``""`` or blanks), which means « no address ».
_EMAIL_OR_EMPTY = [
    {"type": "string", "format": "email", "maxLength": 254},
    {"type": "string", "pattern": r"^\s*$", "description": "Vide : pas d'adresse (comme un champ absent)"},
]


def email_field(description: str) -> fields.Field:
    """An optional follow-up email, as every door asks for it (a report, a « moi aussi »); blank means absent (the
    schemas' ``blank_to_none``)."""
    return _Email(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=254, error="Adresse trop longue."),
        error_messages={**MESSAGES, "invalid": "Indiquez une adresse électronique valide, par exemple nom@domaine.fr."},
        metadata={"description": f"{description} Vide ou null : pas d'adresse.", "anyOf": _EMAIL_OR_EMPTY},
    )


def consent_field() -> fields.Field:
    """The explicit consent that goes with a follow-up email."""
    return fields.Boolean(
        load_default=False,
        error_messages={**MESSAGES, "invalid": "Vrai ou faux attendu."},
        metadata={"description": "Consentement explicite à être recontacté par courriel."},
    )


def check_contact_pair(data: dict[str, Any], original: Any) -> None:
    """An email needs its consent and a consent its email; a field already refused on its own gets no second
    message about the pair."""
    sent = original if isinstance(original, dict) else {}
    if any(sent.get(name) not in (None, "") and name not in data for name in ("email", "contact_consent")):
        return
    if data.get("email") and not data.get("contact_consent"):
        raise ValidationError(
            "Cochez cette case pour être recontacté par courriel, ou laissez l'adresse vide.",
            "contact_consent",
        )
    if data.get("contact_consent") and not data.get("email"):
        raise ValidationError("Indiquez votre adresse électronique, ou décochez le consentement.", "email")


def blank_to_none(data: Any, keep: tuple[str, ...] = ()) -> Any:
    """Blank strings of a loaded mapping (form or JSON) as None, but for the fields in ``keep``."""
    if isinstance(data, dict):
        return {k: (None if isinstance(v, str) and not v.strip() and k not in keep else v) for k, v in data.items()}
    return data


class _Slug(_Text):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        result = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if not _SLUG.match(result):
            raise ValidationError("Identifiant invalide.")
        return result


class ReportCreateSchema(Schema):
    """What a citizen (or an API client) may send to create a report; nothing server-owned."""

    class Meta:
        ordered = True

    error_messages: ClassVar[dict[str, str]] = BODY_MESSAGES

    description = _Text(
        required=True,
        error_messages={**MESSAGES, "invalid": "Un texte est attendu."},
        metadata={
            "description": f"Ce qui s'est passé, en texte brut ({DESCRIPTION_MIN} à {DESCRIPTION_MAX} caractères, "
            "espaces de début et de fin et caractères invisibles non comptés).",
            "minLength": DESCRIPTION_MIN,
        },
    )
    administration = _Slug(
        required=True,
        error_messages=MESSAGES,
        metadata={"description": "Identifiant (slug) de l'administration, voir /api/v1/administrations."},
    )
    procedure = _Slug(
        load_default=None,
        allow_none=True,
        error_messages=MESSAGES,
        metadata={"description": "Identifiant de la démarche de cette administration (facultatif)."},
    )
    territory = _Text(
        required=True,
        error_messages=MESSAGES,
        metadata={
            "description": "Code INSEE du département (01…95, 2A, 2B, 971…976).",
            # What _check_territory accepts: the codes, in either case, blanks around them ignored.
            "pattern": r"^\s*(0[1-9]|1[0-9]|2[1-9ABab]|[3-8][0-9]|9[0-5]|97[1-46])\s*$",
        },
    )
    channel = _Slug(
        required=True, error_messages=MESSAGES, metadata={"description": "Code du canal, voir /api/v1/channels."}
    )
    severity = fields.Enum(
        Severity,
        by_value=True,
        required=True,
        error_messages={**MESSAGES, "unknown": "Choisissez une gravité parmi : {choices}."},
    )
    occurred_on = fields.Date(
        load_default=None,
        allow_none=True,
        error_messages={**MESSAGES, "invalid": "Indiquez une date valide (AAAA-MM-JJ)."},
        metadata={"description": "Date à laquelle c'est arrivé (facultatif, pas dans le futur)."},
    )
    assisted = fields.Boolean(
        load_default=False,
        error_messages={**MESSAGES, "invalid": "Vrai ou faux attendu."},
        metadata={"description": "Signalement fait avec l'aide d'un conseiller France Services."},
    )
    email = email_field("Adresse pour être tenu informé (facultatif, avec consentement).")
    contact_consent = consent_field()

    def __init__(self, *args: Any, references: References | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Looks the slugs and codes up in the référentiel, so unknown ones come in the same answer as the rest.
        self.references = references

    @pre_load
    def _blank_to_none(self, data: Any, **_: Any) -> Any:
        return blank_to_none(data, keep=("description",))

    @validates("description")
    def _check_description(self, value: str, **_: Any) -> None:
        text = clean_text(value)
        if len(text) < DESCRIPTION_MIN:
            raise ValidationError(
                f"Décrivez la situation en au moins {DESCRIPTION_MIN} caractères (actuellement {len(text)})."
            )
        if len(text) > DESCRIPTION_MAX:
            raise ValidationError(
                f"La description ne doit pas dépasser {DESCRIPTION_MAX} caractères (actuellement {len(text)})."
            )

    @validates("territory")
    def _check_territory(self, value: str, **_: Any) -> None:
        if not _TERRITORY.match(value.strip().upper()):
            raise ValidationError("Choisissez un département de la liste (code INSEE, par exemple 75 ou 2A).")

    @validates("occurred_on")
    def _check_occurred_on(self, value: dt.date | None, **_: Any) -> None:
        if value is None:
            return
        if value > paris_today():
            raise ValidationError("La date ne peut pas être dans le futur.")
        if value < EARLIEST_OCCURRENCE:
            raise ValidationError("La date semble erronée : indiquez une date après le 1er janvier 1990.")

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check_consent(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        check_contact_pair(data, original)

    @validates_schema(skip_on_field_errors=False)
    def _check_references(self, data: dict[str, Any], **_: Any) -> None:
        errors = self.references(data) if self.references is not None else {}
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["description"] = clean_text(data["description"])
        data["territory"] = data["territory"].strip().upper()
        if data.get("email"):
            data["email"] = data["email"].strip()
        return data


class ReportPublicSchema(Schema):
    """The public view of one report (no contact data, no internal ids)."""

    reference = fields.String()
    status = fields.Enum(StatusKind, by_value=True)
    status_label = fields.String()
    created_at = fields.DateTime()
    description = fields.String()
    administration = fields.Function(lambda r: {"slug": r.administration.slug, "name": r.administration.name})
    procedure = fields.Function(lambda r: {"slug": r.procedure.slug, "name": r.procedure.name} if r.procedure else None)
    territory = fields.Function(lambda r: {"code": r.territory.code, "name": r.territory.name})
    channel = fields.Function(lambda r: {"code": r.channel.code, "label": r.channel.label})
    severity = fields.Enum(Severity, by_value=True)
    occurred_on = fields.Date(allow_none=True)
    assisted = fields.Boolean()
    cluster_id = fields.Integer(allow_none=True)


class ReportCreatedSchema(Schema):
    """Answer to a successful creation: the only time the tracking token is given out."""

    reference = fields.String(required=True)
    tracking_token = fields.String(required=True, metadata={"description": "Secret : donne accès au suivi."})
    tracking_url = fields.String(required=True)
    status = fields.Enum(StatusKind, by_value=True, required=True)
    created_at = fields.DateTime(required=True)
