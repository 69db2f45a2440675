"""The one input of « Est-ce résolu pour vous ? », for the pages' forms and the API."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from irritants.feedback.models import Answer

#: The answers as citizens' links, forms and the API write them (« reponse=oui »), and back.
ANSWER_PARAMS: dict[Answer, str] = {Answer.YES: "oui", Answer.NO: "non", Answer.PARTLY: "en_partie"}
PARAM_ANSWERS: dict[str, Answer] = {param: value for value, param in ANSWER_PARAMS.items()}


class ResolutionAnswerSchema(ma.Schema):
    """``{"answer": "oui" | "non" | "en_partie"}`` → ``{"answer": Answer}``."""

    answer = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(list(PARAM_ANSWERS), error="Choisissez « oui », « non » ou « en partie »."),
        metadata={"description": "La correction a-t-elle résolu le problème pour vous ?", "enum": list(PARAM_ANSWERS)},
    )

    @ma.post_load
    def _typed(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {"answer": PARAM_ANSWERS[data["answer"]]}


class ResolutionAnswerOutSchema(ma.Schema):
    """The answer recorded."""

    answer = ma.fields.Function(lambda row: ANSWER_PARAMS[row.answer], metadata={"enum": list(PARAM_ANSWERS)})
    cluster_id = ma.fields.Integer(metadata={"description": "L'irritant corrigé sur lequel porte la réponse"})
    answered_at = ma.fields.AwareDateTime()
    changed_at = ma.fields.AwareDateTime(allow_none=True)


class PerceivedResolutionSchema(ma.Schema):
    """What the answers say about an irritant (``rate`` is null under the minimum number of answers)."""

    answers = ma.fields.Integer(metadata={"description": "Réponses à « Est-ce résolu pour vous ? »"})
    yes = ma.fields.Integer(metadata={"description": "« Oui »"})
    no = ma.fields.Integer(metadata={"description": "« Non »"})
    partly = ma.fields.Integer(metadata={"description": "« En partie »"})
    rate = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Taux de résolution perçue, (oui + ½ en partie) / réponses, de 0 à 1 ; null tant qu'il "
            "y a moins de réponses que le minimum (IRRITANTS_UNRESOLVED_MIN_ANSWERS)"
        },
    )
    flagged = ma.fields.Boolean(
        metadata={
            "description": "« Non résolu pour les usagers » : la part de « non » atteint le seuil "
            "(IRRITANTS_UNRESOLVED_SHARE) avec au moins le minimum de réponses"
        }
    )
