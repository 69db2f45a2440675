"""``/api/v1`` resources: reports and the reference lists clients need to build forms."""

from __future__ import annotations

import re
from typing import Any

from flask import request, url_for

from irritants.api.listing import whole
from irritants.api.schemas import AdministrationOutSchema, ChannelOutSchema, TerritoryOutSchema
from irritants.api.spec import Blueprint, links
from irritants.conversations import services as conversations
from irritants.conversations.schemas import MessageOutSchema, MessageSchema
from irritants.db import get_session
from irritants.errors import IrritantsError
from irritants.extensions import (
    client_network,
    limiter,
    read_limit,
    reporter_message_limit,
    submit_limit,
    support_limit,
)
from irritants.feedback import services as feedback
from irritants.feedback.schemas import ResolutionAnswerOutSchema, ResolutionAnswerSchema
from irritants.intake import services as intake
from irritants.intake.accept import accept_report, report_schema
from irritants.intake.models import Source
from irritants.intake.schemas import ReportCreatedSchema, ReportPublicSchema
from irritants.referential import services as referential
from irritants.tokens import hash_token

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Signalements et référentiels")

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_IDEMPOTENCY_DOC = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "Clé unique choisie par le client (ex. un UUID). Un nouvel envoi avec la même clé et le même "
    "contenu renvoie le même signalement, sans doublon ; avec un autre contenu : 422.",
}


_BY_TRACKING_TOKEN = {"token": "$response.body#/tracking_token"}
# What the author of a new report can do next with its tracking token (declared for clients and the contract test).
_REPORT_LINKS = links(
    {
        "GetReport": ("getReport", _BY_TRACKING_TOKEN),
        "ListMessages": ("listReportMessages", _BY_TRACKING_TOKEN),
        "PostMessage": ("postReportMessage", _BY_TRACKING_TOKEN),
        "AnswerResolution": ("answerReportResolution", _BY_TRACKING_TOKEN),
    },
)


class InvalidIdempotencyKey(IrritantsError):
    status, slug, title = 400, "invalid-idempotency-key", "En-tête Idempotency-Key invalide"


@bp.route("/reports", methods=["POST"])
@limiter.shared_limit(submit_limit, scope="submissions")
@bp.arguments(
    report_schema(),
    example={
        "description": "Mon dossier de RSA est bloqué depuis trois mois, personne ne répond au téléphone.",
        "administration": "caf",
        "procedure": None,
        "territory": "59",
        "channel": "telephone",
        "severity": "rupture_de_droits",
        "assisted": False,
    },
)
@bp.response(
    201,
    ReportCreatedSchema,
    headers={
        "Location": {"description": "URL du suivi JSON", "schema": {"type": "string"}},
        "Idempotent-Replayed": {
            "description": "« true » quand la réponse rejoue un envoi précédent de même Idempotency-Key",
            "schema": {"type": "string", "enum": ["true"]},
        },
    },
)
@bp.problem(400, "JSON invalide ou en-tête Idempotency-Key invalide")
@bp.problem(413, "Corps trop volumineux")
@bp.problem(422, "Champs invalides (détail par champ dans « errors »)")
@bp.problem(429, "Trop de signalements depuis cette adresse (voir Retry-After)")
@bp.problem(503, "Base de données indisponible : rien n'a été enregistré, réessayer")
@bp.doc(parameters=[_IDEMPOTENCY_DOC], operationId="createReport", responses={201: {"links": _REPORT_LINKS}})
def create_report(data: dict[str, Any]) -> Any:
    """Déposer un signalement.

    Le signalement est enregistré durablement avant la réponse 201. Le `tracking_token` est secret : il
    n'est renvoyé qu'ici (et lors d'un rejeu avec la même clé d'idempotence).
    """
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise InvalidIdempotencyKey("Idempotency-Key : 1 à 200 caractères ASCII imprimables, sans espace.")
    submission = accept_report(data, source=Source.API, idempotency_key=f"api:{key}" if key else None)
    location = url_for("api.get_report", token=submission.tracking_token, _external=True)
    body = {
        "reference": submission.reference,
        "tracking_token": submission.tracking_token,
        "tracking_url": url_for("intake.tracking", token=submission.tracking_token, _external=True),
        "status": submission.status,
        "created_at": submission.created_at,
    }
    headers = {"Location": location, "Cache-Control": "no-store"}
    if not submission.created:
        headers["Idempotent-Replayed"] = "true"
    return body, 201, headers


@bp.route("/reports/<string:token>", methods=["GET"])
@limiter.limit(read_limit)
@bp.response(200, ReportPublicSchema)
@bp.problem(404, "Aucun signalement pour ce jeton")
@bp.problem(429, "Trop de demandes depuis cette adresse (voir Retry-After)")
@bp.doc(operationId="getReport")
def get_report(token: str) -> Any:
    """Vue publique d'un signalement, à partir de son jeton de suivi secret."""
    return intake.report_by_token(get_session(), token), 200, {"Cache-Control": "no-store"}


@bp.route("/reports/<string:token>/resolution", methods=["POST"])
@limiter.shared_limit(support_limit, scope="survey", key_func=client_network)
@bp.arguments(ResolutionAnswerSchema, example={"answer": "oui"})
@bp.response(200, ResolutionAnswerOutSchema)
@bp.problem(404, "Aucun signalement pour ce jeton")
@bp.problem(409, "L'irritant du signalement n'est pas (encore) corrigé : la question n'est pas posée")
@bp.problem(422, "Réponse invalide (« oui », « non » ou « en_partie »)")
@bp.problem(429, "Trop de demandes depuis ce réseau (voir Retry-After)")
@bp.doc(operationId="answerReportResolution")
def answer_resolution(data: dict[str, Any], token: str) -> Any:
    """« Est-ce résolu pour vous ? » : la réponse de l'auteur du signalement, une fois l'irritant corrigé (ou
    réapparu après correction), à partir de son jeton de suivi secret. Une seule réponse par signalement, que
    l'on peut changer en répondant à nouveau."""
    db = get_session()
    row = feedback.answer(db, data["answer"], report=intake.report_by_token(db, token))
    db.commit()
    return row, 200, {"Cache-Control": "no-store"}


def _token_key() -> str:
    return hash_token((request.view_args or {}).get("token", ""))


@bp.route("/reports/<string:token>/messages", methods=["GET"])
@limiter.limit(read_limit)
@whole(bp, MessageOutSchema(many=True), "Les échanges d'un signalement, courts par nature (quelques messages)")
@bp.problem(404, "Aucun signalement pour ce jeton")
@bp.doc(operationId="listReportMessages")
@bp.problem(429, "Trop de demandes depuis cette adresse (voir Retry-After)")
def list_messages(token: str) -> Any:
    """Les échanges d'un signalement avec l'équipe (questions, réponses, précisions), du plus ancien au plus récent."""
    db = get_session()
    report = intake.report_by_token(db, token)
    return conversations.conversation(db, report.id), 200, {"Cache-Control": "no-store"}


@bp.route("/reports/<string:token>/messages", methods=["POST"])
@limiter.limit(reporter_message_limit, key_func=_token_key)
@bp.arguments(MessageSchema, example={"body": "Le guichet m'a renvoyé vers le site.", "question": None})
@bp.response(201, MessageOutSchema)
@bp.problem(404, "Aucun signalement pour ce jeton")
@bp.problem(422, "Champs invalides (détail par champ dans « errors »)")
@bp.problem(429, "Trop de messages pour ce signalement (voir Retry-After)")
@bp.doc(operationId="postReportMessage")
def post_message(data: dict[str, Any], token: str) -> Any:
    """Répondre à une question de l'équipe (`question` : son identifiant) ou ajouter des précisions (sans `question`).

    Le texte est transmis à l'équipe sans l'adresse de la personne ; les données personnelles qu'il contiendrait sont
    masquées pour les agents qui ne modèrent pas.
    """
    db = get_session()
    report = intake.report_by_token(db, token)
    message = conversations.write(db, report, data["body"], question_id=data.get("question"))
    db.commit()
    return message, 201, {"Cache-Control": "no-store"}


@bp.route("/administrations", methods=["GET"])
@whole(bp, AdministrationOutSchema(many=True), "Référentiel court, donné en entier pour construire un formulaire")
def list_administrations() -> Any:
    """Administrations et leurs démarches (identifiants à utiliser dans un signalement)."""
    return referential.list_administrations(get_session())


@bp.route("/territories", methods=["GET"])
@whole(
    bp,
    TerritoryOutSchema(many=True),
    "Référentiel fixe (101 départements), donné en entier pour construire un formulaire",
)
def list_territories() -> Any:
    """Les 101 départements (code INSEE, nom, région)."""
    return referential.list_territories(get_session())


@bp.route("/channels", methods=["GET"])
@whole(bp, ChannelOutSchema(many=True), "Référentiel court, donné en entier pour construire un formulaire")
def list_channels() -> Any:
    """Canaux de contact avec l'administration."""
    return referential.list_channels(get_session())
