"""The moderator's decision on a held report: one schema for the queue's form and the API."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from irritants.forms import InputSchema
from irritants.intake.models import Moderation
from irritants.moderation.masking import MAX_PASSAGES, PASSAGE_MAX_LENGTH, PASSAGE_MIN_LENGTH
from irritants.moderation.services import REASON_MAX_LENGTH, Decision

DECISION_MESSAGE = "Choisissez « publier » ou « rejeter ». Valeurs attendues : publish, reject."


class ModerationDecisionSchema(InputSchema):
    """A moderator's decision on a held report, from the queue's form or the API."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf([d.value for d in Decision], error=DECISION_MESSAGE),
        error_messages={"required": DECISION_MESSAGE, "null": DECISION_MESSAGE, "invalid": DECISION_MESSAGE},
        metadata={"description": "« publish » : publier (anonymisé) ; « reject » : ne jamais publier le texte"},
    )
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            max=REASON_MAX_LENGTH, error=f"Le motif ne doit pas dépasser {REASON_MAX_LENGTH} caractères."
        ),
        error_messages={"invalid": "Le motif doit être un texte."},
        metadata={"description": "Motif facultatif, gardé dans l'historique"},
    )
    mask = fields.List(
        fields.String(error_messages={"invalid": "Chaque passage à masquer doit être un texte."}),
        load_default=list,
        error_messages={"invalid": "Donnez une liste de passages à masquer.", "null": "Donnez une liste (vide)."},
        metadata={
            "description": "Avec « publish » : passages à masquer (un nom que la détection a manqué, un détail qui "
            "permet de reconnaître quelqu'un). Chacun doit figurer dans le texte (majuscules et espaces "
            "indifférents) ; chacune de ses occurrences est remplacée par « [masqué] » dans le texte publié. "
            f"Au plus {MAX_PASSAGES} passages de {PASSAGE_MIN_LENGTH} à {PASSAGE_MAX_LENGTH} caractères.",
        },
    )
    expected = fields.String(
        load_default=Moderation.PENDING.value,
        validate=validate.OneOf(
            [Moderation.PENDING.value], error="État attendu inconnu : seul « pending » peut l'être ; rechargez la page."
        ),
        metadata={
            "description": "État dans lequel le client a vu le signalement : une autre décision prise "
            "entre-temps donne 409 au lieu d'être écrasée"
        },
    )

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(MultiDict([(k, v) for k, v in form.items(multi=True) if k != "mask"]))
        # One text box: a passage per line.
        data["mask"] = form.get("mask", "").splitlines()
        return data
