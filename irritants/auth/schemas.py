"""Schemas of the sign-in form, the API-token form, ``/api/v1/me`` and the administrators' account forms (French
messages for agents)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from irritants.auth.models import Role
from irritants.auth.passwords import PASSWORD_MAX_LENGTH
from irritants.auth.services import is_valid_email, normalise_email
from irritants.forms import InputSchema

# Lifetimes offered for a new API token, in days (a token that never expires is only for the CLI).
TOKEN_DAYS = (7, 30, 90, 180, 365)
TOKEN_DAY_LABELS = {7: "7 jours", 30: "30 jours", 90: "90 jours", 180: "6 mois", 365: "1 an"}

LOGIN_LABELS = {"email": "Adresse électronique", "password": "Mot de passe"}
TOKEN_LABELS = {"name": "Nom du jeton", "days": "Durée de validité"}
PASSWORD_CHANGE_LABELS = {
    "current_password": "Mot de passe actuel",
    "new_password": "Nouveau mot de passe",
    "new_password_confirmation": "Nouveau mot de passe (confirmation)",
}


class LoginSchema(Schema):
    """The sign-in form; the email comes back normalised."""

    email = fields.String(
        required=True,
        error_messages={
            "required": "Saisissez votre adresse électronique.",
            "null": "Saisissez votre adresse électronique.",
            "invalid": "Saisissez votre adresse électronique.",
        },
    )
    password = fields.String(
        required=True,
        error_messages={
            "required": "Saisissez votre mot de passe.",
            "null": "Saisissez votre mot de passe.",
            "invalid": "Saisissez votre mot de passe.",
        },
    )

    @validates("email")
    def _email(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Saisissez votre adresse électronique.")
        if not is_valid_email(normalise_email(value)):
            raise ValidationError("Saisissez une adresse électronique valide, au format prenom.nom@exemple.gouv.fr.")

    @validates("password")
    def _password(self, value: str, **_: Any) -> None:
        if not value:
            raise ValidationError("Saisissez votre mot de passe.")
        if len(value) > PASSWORD_MAX_LENGTH:
            raise ValidationError("Le mot de passe ne peut pas dépasser 1 024 caractères.")

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "email": normalise_email(data["email"])}


class TokenCreateSchema(Schema):
    """A new personal API token: a name the agent recognises, and a lifetime."""

    name = fields.String(
        required=True,
        error_messages={
            "required": "Donnez un nom à ce jeton.",
            "null": "Donnez un nom à ce jeton.",
            "invalid": "Donnez un nom à ce jeton.",
        },
    )
    days = fields.Integer(
        required=True,
        strict=False,
        validate=validate.OneOf(TOKEN_DAYS, error="Choisissez une durée de validité dans la liste."),
        error_messages={
            "required": "Choisissez une durée de validité.",
            "null": "Choisissez une durée de validité.",
            "invalid": "Choisissez une durée de validité dans la liste.",
        },
    )

    @validates("name")
    def _name(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Donnez un nom à ce jeton.")
        if len(value.strip()) > 100:
            raise ValidationError("Le nom du jeton ne doit pas dépasser 100 caractères.")

    @post_load
    def _strip(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "name": data["name"].strip()}


class MeSchema(Schema):
    """The agent calling the API."""

    email = fields.String(metadata={"description": "Adresse électronique de l'agent"})
    name = fields.String(metadata={"description": "Nom affiché"})
    roles = fields.List(
        fields.String(),
        metadata={"description": "Rôles : product_owner, squad_member, manager, admin, correspondant"},
    )
    squads = fields.List(fields.String(), metadata={"description": "Identifiants (slugs) de ses start-ups d'État"})
    administration = fields.String(
        allow_none=True,
        metadata={"description": "Administration (slug) d'un correspondant : tout ce qu'il lit y est restreint"},
    )
    token_name = fields.String(
        allow_none=True, metadata={"description": "Nom du jeton d'API utilisé (absent avec une session)"}
    )


class PasswordChangeSchema(Schema):
    """``POST /api/v1/me/password``: the current password and the new one (its rules are the sign-in page's)."""

    current_password = fields.String(required=True, load_only=True, metadata={"description": "Mot de passe actuel"})
    new_password = fields.String(
        required=True,
        load_only=True,
        metadata={
            "description": "Nouveau mot de passe : au moins PASSWORD_MIN_LENGTH caractères (12 par défaut), variés, "
            "sans l'adresse électronique, différent de l'actuel"
        },
    )


# --- accounts, as administrators manage them (back-office forms) --------------------------------------------------

ACCOUNT_LABELS = {
    "email": "Adresse électronique",
    "name": "Nom affiché",
    "roles": "Rôles",
    "squads": "Start-ups d'État",
    "administration": "Administration (correspondants)",
    "password_mode": "Mot de passe",
}
PASSWORD_CHOICES = {
    "generate": "Générer un mot de passe, affiché une seule fois pour que vous le transmettiez",
    "none": "Aucun mot de passe : connexion avec ProConnect uniquement",
}
_ROLE_VALUES = [role.value for role in Role]


def _roles_field() -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(_ROLE_VALUES, error="Rôle inconnu : choisissez dans la liste.")),
        required=True,
        validate=validate.Length(min=1, error="Cochez au moins un rôle."),
        error_messages={"required": "Cochez au moins un rôle.", "null": "Cochez au moins un rôle."},
    )


def _squads_field() -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(max=100, error="Start-up d'État inconnue.")),
        load_default=list,
        error_messages={"invalid": "Choisissez les start-ups d'État dans la liste."},
    )


class AccountEditSchema(InputSchema):
    """An agent's roles and squads (slugs), both replaced by what is ticked; a correspondant's administration."""

    roles = _roles_field()
    squads = _squads_field()
    administration = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=60, error="Administration inconnue.")
    )


class AccountCreateSchema(AccountEditSchema):
    """A new agent: email, name, roles, squads, and whether a password is generated or ProConnect alone is used."""

    email = fields.String(
        required=True,
        validate=validate.Length(max=254, error="254 caractères au plus."),
        error_messages={"required": "Saisissez l'adresse électronique de l'agent.", "null": "Saisissez l'adresse."},
    )
    name = fields.String(
        load_default="", validate=validate.Length(max=200, error="200 caractères au plus."), allow_none=True
    )
    password_mode = fields.String(
        load_default="generate",
        validate=validate.OneOf(list(PASSWORD_CHOICES), error="Choisissez une option de mot de passe dans la liste."),
    )

    @validates("email")
    def _email(self, value: str, **_: Any) -> None:
        if not is_valid_email(normalise_email(value)):
            raise ValidationError("Adresse électronique invalide : elle doit ressembler à prenom.nom@exemple.gouv.fr.")

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        generate = data.pop("password_mode") != "none"
        return {**data, "email": normalise_email(data["email"]), "name": data.get("name") or "", "generate": generate}


class MemberAddSchema(InputSchema):
    """An existing agent added to a squad, by email."""

    email = fields.String(
        required=True,
        validate=validate.Length(max=254, error="254 caractères au plus."),
        error_messages={"required": "Saisissez l'adresse électronique de l'agent.", "null": "Saisissez l'adresse."},
    )
