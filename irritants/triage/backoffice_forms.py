"""The back-office decision forms: their fields, French messages, and the plain data handed to decisions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from irritants.auth.exceptions import StaleObject
from irritants.errors import ValidationFailed
from irritants.status import StatusKind
from irritants.triage.decisions import BULK_OPERATIONS, KEYWORD_MAX_CHARS, KEYWORDS_MAX, ROUTED_TO_MAX
from irritants.triage.tracking import PUBLIC_NOTE_MAX
from irritants.triage.workflow import LABEL_MAX, LABEL_MIN, REASON_MAX, STALE_MESSAGE

# The decisions service checks the same limits again; the form says so next to the field first.
MAX_ID = 2**31 - 1

_REQUIRED = "Ce champ est obligatoire."
_NUMBER = "Indiquez un numéro d'irritant (des chiffres uniquement)."


class FormInvalid(ValidationFailed):
    """A decision form with invalid fields (422): shown again with its messages and the input kept."""


def _id_field(required_message: str = _REQUIRED, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=MAX_ID, error=_NUMBER),
        error_messages={"required": required_message, "invalid": _NUMBER, "null": required_message},
        **kwargs,
    )


def _split_ids(text: str) -> list[int]:
    """« 12, 34 ; n° 56 » → [12, 34, 56]; anything else than numbers and separators is refused."""
    if re.search(r"[^\d\s,;n°º#]", text):
        raise ma.ValidationError("Séparez les numéros d'irritants par des virgules (ex. 12, 34).")
    ids = [int(part) for part in re.findall(r"\d+", text)]
    if any(not 0 < i <= MAX_ID for i in ids):
        raise ma.ValidationError(_NUMBER)
    return ids


class _Decision(ma.Schema):
    """Fields every decision form carries: the version read, a reason and the reply template it came from."""

    expected_version = fields.Integer(
        load_default=None, validate=validate.Range(min=1), error_messages={"invalid": "Version de la page invalide."}
    )
    motif = fields.String(
        load_default="",
        validate=validate.Length(max=REASON_MAX, error=f"Le motif ne doit pas dépasser {REASON_MAX} caractères."),
    )
    modele = fields.Integer(
        load_default=None, validate=validate.Range(min=1), error_messages={"invalid": "Modèle de réponse inconnu."}
    )

    @ma.pre_load
    def _blanks(self, data: Any, **_: Any) -> Any:
        # Empty text boxes and "choose…" options are absent values, not empty strings.
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if v not in ("", None, [])}


class LabelForm(_Decision):
    label = fields.String(
        required=True,
        validate=validate.Length(
            min=LABEL_MIN, max=LABEL_MAX, error=f"Le libellé doit compter entre {LABEL_MIN} et {LABEL_MAX} caractères."
        ),
        error_messages={"required": "Indiquez le libellé de l'irritant."},
    )
    keywords = fields.String(load_default="")

    @ma.post_load
    def _keywords(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        words = [w.strip() for w in re.split(r"[,;\n]", data["keywords"]) if w.strip()]
        words = list(dict.fromkeys(words))
        if len(words) > KEYWORDS_MAX:
            raise ma.ValidationError(f"{KEYWORDS_MAX} mots-clés au plus.", "keywords")
        if any(len(w) > KEYWORD_MAX_CHARS for w in words):
            raise ma.ValidationError(f"Chaque mot-clé compte {KEYWORD_MAX_CHARS} caractères au plus.", "keywords")
        data["keywords"] = words
        return data


class StatusForm(_Decision):
    to = fields.Enum(
        StatusKind,
        by_value=True,
        required=True,
        error_messages={"required": "Choisissez le nouveau statut.", "unknown": "Statut inconnu."},
    )
    note_publique = fields.String(
        load_default=None,
        validate=validate.Length(max=PUBLIC_NOTE_MAX, error=f"{PUBLIC_NOTE_MAX} caractères au plus."),
    )


class SquadForm(_Decision):
    confirm = fields.Boolean(load_default=False, error_messages={"invalid": "Confirmation invalide."})
    squad = fields.String(
        required=True,
        validate=validate.Regexp(r"^(\d{1,9}|none)$", error="Start-up d'État inconnue."),
        error_messages={"required": "Choisissez une start-up d'État, ou « Aucune »."},
    )

    @ma.post_load
    def _squad_id(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        squad = data.pop("squad")
        data["squad_id"] = None if squad == "none" else int(squad)
        return data


class PinForm(_Decision):
    pinned = fields.Boolean(
        required=True, error_messages={"required": "Choix d'épinglage manquant.", "invalid": "Choix invalide."}
    )


class DuplicateForm(_Decision):
    candidate = _id_field(load_default=None)
    number = _id_field(load_default=None)

    @ma.post_load
    def _target(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        number, candidate = data.pop("number"), data.pop("candidate")
        target = number or candidate
        if target is None:
            raise ma.ValidationError("Choisissez l'irritant principal ou indiquez son numéro.", "number")
        data["duplicate_of"] = target
        return data


class RouteForm(_Decision):
    routed_to = fields.String(
        required=True,
        validate=validate.Length(max=ROUTED_TO_MAX, error=f"{ROUTED_TO_MAX} caractères au plus."),
        error_messages={"required": "Indiquez le service ou l'organisme à qui l'irritant a été transmis."},
    )


class ReasonOnlyForm(_Decision):
    """Spam, unmerge: nothing but the reason."""


class MergeForm(_Decision):
    sources = fields.List(_id_field(), load_default=list)
    others = fields.String(load_default="")

    @ma.post_load
    def _ids(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        try:
            extra = _split_ids(data.pop("others"))
        except ma.ValidationError as err:
            raise ma.ValidationError(err.messages, "others") from err
        ids = list(dict.fromkeys([*data["sources"], *extra]))
        if not ids:
            raise ma.ValidationError("Choisissez au moins un irritant à fusionner dans celui-ci.", "others")
        data["sources"] = ids
        return data


class ReportsForm(_Decision):
    """Split (a new irritant from the chosen reports) or move them to another irritant."""

    reports = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_ID)), load_default=list)
    new_label = fields.String(
        load_default=None,
        validate=validate.Length(
            min=LABEL_MIN, max=LABEL_MAX, error=f"Le libellé compte {LABEL_MIN} à {LABEL_MAX} caractères."
        ),
    )
    to_cluster = _id_field(load_default=None)

    @ma.validates("reports")
    def _some(self, value: list[int], **_: Any) -> None:
        if not value:
            raise ma.ValidationError("Sélectionnez au moins un signalement.")


class BulkForm(_Decision):
    confirm = fields.Boolean(load_default=False, error_messages={"invalid": "Confirmation invalide."})
    ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_ID)), load_default=list)
    operation = fields.String(
        required=True,
        validate=validate.OneOf(BULK_OPERATIONS, error="Action inconnue."),
        error_messages={"required": "Choisissez l'action à appliquer."},
    )
    to = fields.Enum(StatusKind, by_value=True, load_default=None, error_messages={"unknown": "Statut inconnu."})
    squad = fields.String(
        load_default=None, validate=validate.Regexp(r"^(\d{1,9}|none)$", error="Start-up d'État inconnue.")
    )

    @ma.post_load
    def _complete(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        if not data["ids"]:
            errors["ids"] = ["Sélectionnez au moins un irritant dans la liste."]
        if data["operation"] == "status" and data["to"] is None:
            errors["to"] = ["Choisissez le nouveau statut."]
        if data["operation"] == "assign" and data["squad"] is None:
            errors["squad"] = ["Choisissez une start-up d'État, ou « Aucune »."]
        if errors:
            raise ma.ValidationError(errors)
        squad = data.pop("squad")
        data["squad_id"] = int(squad) if squad and squad != "none" else None
        return data


LIST_FIELDS = ("sources", "reports", "ids")


def load(schema: type[ma.Schema], form: Any, **extra: Any) -> dict[str, Any]:
    """Validate a posted form (a MultiDict) with ``schema``; FormInvalid with French messages per field."""
    data: dict[str, Any] = {}
    for name in schema().fields:
        if name in LIST_FIELDS:
            data[name] = [v for v in form.getlist(name) if v.strip()]
        elif name in form:
            data[name] = form.get(name)
    data.update(extra)
    try:
        return schema().load(data)
    except ma.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_form": err.messages}
        raise FormInvalid(
            "Le formulaire contient des erreurs : corrigez-les puis envoyez-le à nouveau.",
            errors={("_form" if k == "_schema" else k): list(dict.fromkeys(_messages(v))) for k, v in messages.items()},
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


# Field names of the decisions service → names of the form fields, so that messages sit next to their field.
FIELD_ALIASES = {
    "reason": "motif",
    "template_id": "modele",
    "duplicate_of": "number",
    "squad_id": "squad",
    "cluster_ids": "ids",
    "source_ids": "others",
    "report_ids": "reports",
    "to_cluster_id": "to_cluster",
    "public_note": "note_publique",
}


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):  # per position in a list of ids
        return [m for item in value.values() for m in _messages(item)]
    return [str(m) for m in value] if isinstance(value, list | tuple) else [str(value)]


def failure(form: str, error: Exception, values: Any) -> tuple[Failure, int]:
    """A refused decision as the page shows it (messages by form field), and its HTTP status."""
    if isinstance(error, StaleDataError):
        error = StaleObject(STALE_MESSAGE)
    errors: dict[str, list[str]] = {}
    for name, value in (getattr(error, "errors", None) or {}).items():
        errors.setdefault(FIELD_ALIASES.get(name, name), []).extend(_messages(value))
    detail = getattr(error, "detail", str(error))
    if isinstance(error, ValidationFailed) and detail == ValidationFailed.title and errors:
        detail = "La décision a été refusée : voir le détail ci-dessous."
    return Failure(form, detail, errors, values), getattr(error, "status", 409)


def confirmation(form: str, error: Exception, values: Any) -> tuple[Failure, int]:
    """A decision that needs the agent's confirmation (e.g. a transfer out of their hands): the page asks, 200."""
    return Failure(form, getattr(error, "detail", str(error)), {}, values, kind="confirm"), 200
