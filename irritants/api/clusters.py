"""``/api/v1`` clusters (irritants): ranked listing, detail, similar irritants while typing, supports."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, jsonify, request, url_for

from irritants import people
from irritants.answers import services as answers
from irritants.api import deprecation
from irritants.api.listing import paged, whole
from irritants.api.schemas import KnownAdministrationMixin
from irritants.api.spec import Blueprint
from irritants.clusters import effect as fix_effect
from irritants.clusters import engine
from irritants.clusters import services as clusters
from irritants.clusters.schemas import SupportCreateSchema
from irritants.db import get_session, utcnow
from irritants.errors import ValidationFailed
from irritants.extensions import client_network, limiter, read_limit, support_limit
from irritants.feedback import services as feedback
from irritants.feedback.schemas import PerceivedResolutionSchema
from irritants.intake.services import contact_values
from irritants.paging import PageQuerySchema, page_schema, sort_field
from irritants.referential import services as referential
from irritants.settings import settings_of
from irritants.status import StatusKind

bp = Blueprint("api_clusters", __name__, url_prefix="/api/v1", description="Irritants (groupes de signalements)")

MAX_ID = 2**31 - 1


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Secondes à attendre avant de redemander (2 pendant le chargement du modèle)",
        "schema": {"type": "integer", "example": 2},
    }
}


class ClusterOutSchema(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String()
    keywords = ma.fields.List(ma.fields.String())
    status = ma.fields.Enum(StatusKind, by_value=True)
    status_label = ma.fields.String()
    size = ma.fields.Integer(metadata={"description": "Nombre de signalements"})
    supporters = ma.fields.Integer(metadata={"description": "« C'est aussi mon cas »"})
    people = ma.fields.Integer(metadata={"description": "Personnes distinctes (signalements et soutiens)"})
    territories = ma.fields.Integer(metadata={"description": "Départements distincts"})
    administrations = ma.fields.Integer()
    main_administration = ma.fields.String(allow_none=True)
    score = ma.fields.Float()
    score_breakdown = ma.fields.Dict(metadata={"description": "Total et contribution de chaque terme du score"})


class AnswerOutSchema(ma.Schema):
    administration = ma.fields.String(metadata={"description": "Identifiant (slug) de l'administration"})
    administration_name = ma.fields.String(metadata={"description": "Son nom"})
    text = ma.fields.String(metadata={"description": "La réponse, telle que publiée"})
    created_at = ma.fields.DateTime(metadata={"description": "Première publication"})
    updated_at = ma.fields.DateTime(metadata={"description": "Dernière mise à jour"})


class ClusterDetailSchema(ClusterOutSchema):
    excerpts = ma.fields.List(ma.fields.String(), metadata={"description": "Extraits anonymisés"})
    answers = ma.fields.List(
        ma.fields.Nested(AnswerOutSchema),
        metadata={"description": "Réponses publiques des administrations concernées, la première donnée d'abord"},
    )
    perceived_resolution = ma.fields.Nested(
        PerceivedResolutionSchema,
        metadata={
            "description": "Réponses des usagers à « Est-ce résolu pour vous ? » une fois l'irritant corrigé (celles "
            "des irritants qui lui ont été regroupés comprises)"
        },
    )


class MergedIntoSchema(ma.Schema):
    merged_into = ma.fields.Integer(metadata={"description": "Numéro de l'irritant qui le regroupe désormais"})
    detail = ma.fields.String()


ClusterPageSchema = page_schema(ClusterOutSchema, "ClusterPage", "Irritants dans l'ordre demandé (sort)")


class ClusterQuerySchema(KnownAdministrationMixin, PageQuerySchema):
    sort = sort_field(clusters.LIST_SORTS, "-score")
    administration = ma.fields.String(validate=ma.validate.Length(max=80))
    territory = ma.fields.String(
        validate=ma.validate.Regexp(r"^(\d{2}|2[AB]|97\d)$", error="Code département invalide.")
    )
    status = ma.fields.Enum(StatusKind, by_value=True)
    period = ma.fields.String(
        validate=ma.validate.OneOf(list(clusters.PERIODS)), metadata={"description": "7j, 30j, 90j ou 365j"}
    )


class SimilarQuerySchema(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=4000))
    administration = ma.fields.String(validate=ma.validate.Length(max=80))


class SimilarOutSchema(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String()
    size = ma.fields.Integer()
    people = ma.fields.Integer()
    status = ma.fields.Enum(StatusKind, by_value=True)
    status_label = ma.fields.String()
    similarity = ma.fields.Float()
    url = ma.fields.String()


class SupportOutSchema(ma.Schema):
    counted = ma.fields.Boolean(metadata={"description": "Faux si cette personne était déjà comptée"})
    people = ma.fields.Integer()
    contact = ma.fields.Boolean(
        metadata={
            "description": "Vrai si l'adresse envoyée est enregistrée pour informer la personne (faux sans adresse, "
            "ou pour une personne qui a elle-même signalé cette situation : elle suit son signalement)"
        }
    )


@bp.route("/clusters", methods=["GET"])
@limiter.limit(read_limit)
@bp.arguments(ClusterQuerySchema, location="query")
@paged(bp, ClusterPageSchema)
@bp.problem(422, "Filtre, tri ou pagination invalide")
@bp.problem(429, "Trop de demandes depuis cette adresse (voir Retry-After)")
def list_clusters(args: dict[str, Any]) -> Any:
    """Irritants classés par score par défaut (le détail du score accompagne chaque irritant)."""
    filters = clusters.ClusterFilters(
        args.get("administration"), args.get("territory"), args.get("status"), args.get("period")
    )
    db = get_session()
    listed = clusters.list_clusters(db, filters, page=args["page"], page_size=args["page_size"], sort=args["sort"])
    return listed.map(lambda c: clusters.cluster_summary(db, c))


def _merged_into_doc(description: str, location: str) -> Any:
    """The 302 of a resource of an irritant merged into another, in the OpenAPI document."""
    headers = {"Location": {"description": location, "schema": {"type": "string"}}}
    return bp.alt_response(302, schema=MergedIntoSchema, description=description, headers=headers)


def _merged_into(root_id: int, endpoint: str) -> Any:
    """302 to the same resource of the irritant that now holds this one (a merge can be undone: not a 301)."""
    response = jsonify({"merged_into": root_id, "detail": f"Cet irritant a été regroupé avec l'irritant n° {root_id}."})
    response.status_code = 302
    response.headers["Location"] = url_for(endpoint, cluster_id=root_id)
    return response


@bp.route("/clusters/<int:cluster_id>", methods=["GET"])
@limiter.limit(read_limit)
@bp.response(200, ClusterDetailSchema)
@_merged_into_doc(
    "Irritant fusionné dans un autre ou marqué comme doublon : Location donne l'irritant qui le regroupe "
    "(302 et non 301, car une fusion peut être annulée)",
    "/api/v1/clusters/<merged_into>",
)
@bp.problem(404, "Irritant inconnu ou non public")
@bp.problem(429, "Trop de demandes depuis cette adresse (voir Retry-After)")
def get_cluster(cluster_id: int) -> Any:
    """Un irritant : libellé, taille, étendue, statut public, extraits anonymisés et détail du score.

    Un irritant regroupé avec un autre (fusion ou doublon) répond 302 vers celui qui le regroupe."""
    db = get_session()
    root = clusters.merged_into(db, min(cluster_id, MAX_ID))
    if root is not None:
        return _merged_into(root.id, "api_clusters.get_cluster")
    cluster = clusters.get_public_cluster(db, min(cluster_id, MAX_ID))
    perceived = feedback.perceived_rate(db, settings_of(current_app).feedback, cluster.id)
    return {
        **clusters.cluster_summary(db, cluster),
        "excerpts": clusters.excerpts(db, cluster),
        "perceived_resolution": perceived.as_dict(),
        "answers": [vars(answer) for answer in answers.answers_of(db, cluster.id)],
    }


class FixWeekSchema(ma.Schema):
    start = ma.fields.String(metadata={"format": "date", "description": "Premier jour de la semaine"})
    count = ma.fields.Integer(metadata={"description": "Nouveaux signalements reçus ces jours-là"})
    side = ma.fields.String(
        validate=ma.validate.OneOf(["before", "after"]), metadata={"description": "Avant ou après le correctif"}
    )
    days = ma.fields.Integer(
        metadata={
            "description": "Jours observés (7 ; moins pour la semaine du premier signalement ou celle en cours, "
            "aujourd'hui n'étant pas compté)"
        }
    )


class FixEffectSchema(ma.Schema):
    fixed_on = ma.fields.String(
        allow_none=True,
        metadata={"format": "date", "description": "Jour du dernier correctif livré (null : aucun correctif)"},
    )
    weeks = ma.fields.List(
        ma.fields.Nested(FixWeekSchema),
        metadata={
            "description": "Les semaines, alignées sur le jour du correctif (qui compte après), FIX_EFFECT_WEEKS de "
            "chaque côté au plus, les plus anciennes d'abord"
        },
    )
    rate_ratio = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Rapport des taux hebdomadaires après/avant (null : aucun signalement, ou aucun avant)"
        },
    )
    ci_low = ma.fields.Float(allow_none=True, metadata={"description": "Borne basse de l'intervalle exact à 95 %"})
    ci_high = ma.fields.Float(
        allow_none=True, metadata={"description": "Borne haute de l'intervalle à 95 % (null : infinie)"}
    )
    verdict = ma.fields.String(
        validate=ma.validate.OneOf(["drop", "no_change", "rise", "too_early", "not_fixed"]),
        metadata={
            "description": "drop : baisse nette (borne haute < 1) ; rise : hausse (borne basse > 1) ; no_change : pas "
            "de changement mesurable ; too_early : moins de 2 semaines observées d'un côté ; not_fixed : aucun "
            "correctif livré (les autres champs sont alors vides)"
        },
    )
    verdict_label = ma.fields.String(metadata={"description": "Le verdict en français"})


@bp.route("/clusters/<int:cluster_id>/fix-effect", methods=["GET"])
@limiter.limit(read_limit)
@bp.response(200, FixEffectSchema)
@_merged_into_doc(
    "Irritant regroupé avec un autre : Location donne l'effet du correctif de celui qui le regroupe",
    "/api/v1/clusters/<merged_into>/fix-effect",
)
@bp.problem(404, "Irritant inconnu ou non public")
@bp.problem(429, "Trop de demandes depuis cette adresse (voir Retry-After)")
def get_fix_effect(cluster_id: int) -> Any:
    """Effet du correctif : signalements reçus chaque semaine avant et après le dernier correctif livré, rapport des
    taux après/avant avec son intervalle de confiance exact à 95 %, et le verdict qui s'en lit.

    Les signalements des irritants fusionnés dans celui-ci, ou marqués comme ses doublons, comptent. Un irritant
    sans correctif livré répond 200 avec ``fixed_on`` null, aucune semaine et le verdict ``not_fixed``."""
    db = get_session()
    root = clusters.merged_into(db, min(cluster_id, MAX_ID))
    if root is not None:
        return _merged_into(root.id, "api_clusters.get_fix_effect")
    cluster = clusters.get_public_cluster(db, min(cluster_id, MAX_ID))
    return fix_effect.as_json(fix_effect.fix_effect(db, settings_of(current_app).fix_effect, cluster))


@bp.route("/similar", methods=["GET"])
@limiter.limit(read_limit)
@bp.arguments(SimilarQuerySchema, location="query")
@whole(bp, SimilarOutSchema(many=True), "Les 5 irritants les plus proches au plus, pas une liste à parcourir")
@bp.problem(422, "Paramètres invalides")
@bp.problem(
    503,
    "Pas encore prêt (type /api/v1/problems/suggestions-not-ready) : le modèle de comparaison des textes se "
    "charge, quelques secondes après un démarrage. Redemander après Retry-After ; une liste vide, elle, veut "
    "dire qu'aucun irritant ne ressemble au texte.",
    headers=_RETRY_AFTER,
)
@bp.problem(429, "Trop de demandes depuis cette adresse (voir Retry-After)")
def similar(args: dict[str, Any]) -> Any:
    """Les 5 irritants les plus proches d'un texte (ouverts ou déjà corrigés), pour éviter les doublons.

    Juste après un démarrage, tant que le modèle de comparaison se charge, la réponse est 503 avec Retry-After
    (jamais une liste vide, qui dirait à tort que rien ne ressemble)."""
    db = get_session()
    admin = referential.administration_by_slug(db, args["administration"]) if args.get("administration") else None
    clustering = settings_of(current_app).clustering
    suggestions = engine.similar(db, clustering, args["text"], administration_id=admin.id if admin else None)
    by_id = {c.id: c for c in clusters.clusters_by_ids(db, [s.cluster_id for s in suggestions])}
    out = []
    for suggestion in suggestions:
        cluster = by_id.get(suggestion.cluster_id)
        if cluster is None or cluster.size == 0:
            continue
        out.append(
            {
                "id": cluster.id,
                "label": cluster.label,
                "size": cluster.size,
                "people": cluster.people,
                "status": cluster.status,
                "status_label": clusters.public_label(cluster),
                "similarity": suggestion.similarity,
                "url": f"/irritants/{cluster.id}",
            }
        )
    return out, 200, {"Cache-Control": "no-store"}


class SupporterOutSchema(ma.Schema):
    supporter_id = ma.fields.String(
        metadata={"description": "Identifiant signé par le service, pour X-Supporter-Id (jamais une identité)"}
    )


_DEPRECATION_HEADERS = {
    "Deprecation": {
        "description": "Seulement pour un X-Supporter-Id non délivré par le service : date de dépréciation (RFC 9745)",
        "schema": {"type": "string", "example": "@1796256000"},
    },
    "Sunset": {
        "description": "Date après laquelle un tel identifiant sera refusé (400), RFC 8594",
        "schema": {"type": "string", "example": "Wed, 03 Mar 2027 00:00:00 GMT"},
    },
    "Link": {"description": "Documentation (rel=deprecation, rel=sunset)", "schema": {"type": "string"}},
}


@bp.route("/supporters", methods=["POST"])
@limiter.limit(support_limit, key_func=client_network)
@bp.response(201, SupporterOutSchema)
@bp.problem(429, "Trop de demandes depuis ce réseau")
def new_supporter() -> Any:
    """Un identifiant de soutien, signé par le service, à garder pour une même personne et à envoyer dans
    l'en-tête X-Supporter-Id de « C'est aussi mon cas ». Il ne dit rien de la personne."""
    supporter_id = people.issue_supporter_id(current_app.config["SECRET_KEY"])
    return {"supporter_id": supporter_id}, 201, {"Cache-Control": "no-store"}


def _supporter_headers(supporter: str) -> dict[str, str]:
    """Headers of an accepted X-Supporter-Id: none when the service issued it, the deprecation notice otherwise."""
    config = current_app.config
    if not 16 <= len(supporter) <= 100 or not supporter.isascii():
        raise ValidationFailed(
            "En-tête X-Supporter-Id : 16 à 100 caractères ASCII.",
            errors={"X-Supporter-Id": ["16 à 100 caractères ASCII attendus."]},
        )
    if people.is_issued(config["SECRET_KEY"], supporter):
        return {}
    sunset = config["UNSIGNED_SUPPORTER_SUNSET"]
    if not people.unsigned_allowed(sunset, utcnow()):
        raise people.UnsignedSupporterRefused(
            "Cet identifiant X-Supporter-Id n'a pas été délivré par le service : demandez-en un avec "
            "POST /api/v1/supporters et gardez-le pour la même personne."
        )
    return deprecation.headers(people.UNSIGNED_DEPRECATED_ON, sunset, deprecation.docs_url())


@bp.route("/clusters/<int:cluster_id>/supports", methods=["POST"])
@limiter.shared_limit(support_limit, scope="supports", key_func=client_network)
@bp.arguments(SupportCreateSchema(), required=False, example={"email": "nom@domaine.fr", "contact_consent": True})
@bp.response(201, SupportOutSchema, headers=_DEPRECATION_HEADERS)
@bp.problem(400, "X-Supporter-Id non délivré par le service (après la date de fin de tolérance)")
@bp.problem(404, "Irritant inconnu ou non public")
@bp.problem(422, "En-tête X-Supporter-Id manquant ou mal formé")
@bp.problem(429, "Trop de demandes depuis ce réseau")
@bp.doc(
    parameters=[
        {
            "in": "header",
            "name": "X-Supporter-Id",
            "required": True,
            "schema": {"type": "string", "minLength": 16, "maxLength": 100},
            "description": "Identifiant délivré par POST /api/v1/supporters, le même pour une même personne. "
            "Un identifiant choisi par le client est encore accepté, avec les en-têtes Deprecation et Sunset, "
            "jusqu'à la date de Sunset, puis refusé (400).",
        }
    ]
)
def support(data: dict[str, Any], cluster_id: int) -> Any:
    """« C'est aussi mon cas » : une personne de plus, une seule fois par irritant ; un même réseau n'ajoute
    qu'une personne par irritant (counted est faux pour les suivantes).

    Le corps est facultatif : une adresse électronique avec `contact_consent` à vrai, pour recevoir un message
    quand l'irritant avance (prise en charge, correction, transmission à un autre service, clôture). Elle n'est
    jamais publiée ni renvoyée, est supprimée au bout de la durée de conservation, et chaque message contient un
    lien de désabonnement."""
    supporter = request.headers.get("X-Supporter-Id", "")
    headers = _supporter_headers(supporter)
    config = current_app.config
    db = get_session()
    outcome = clusters.add_support(
        db,
        min(cluster_id, MAX_ID),
        people.person_key(config["SECRET_KEY"], supporter),
        source=people.source_key(config["SECRET_KEY"], request.remote_addr),
        contact=contact_values(
            data or {}, secret_key=config["SECRET_KEY"], retention_days=config["CONTACT_RETENTION_DAYS"], now=utcnow()
        ),
    )
    clusters.refresh_one(db, settings_of(current_app).ranking, outcome.cluster_id)
    db.commit()
    cluster = clusters.get_public_cluster(db, outcome.cluster_id)
    return {"counted": outcome.counted, "people": cluster.people, "contact": outcome.contact}, 201, headers
