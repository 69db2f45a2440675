"""``/api/v1/triage``: the product owners' backlog and decisions over the same services, policy and audit log
as the back-office pages. Agents only: ``Authorization: Bearer irr_…``, or a browser session plus its CSRF
token (``X-CSRFToken``) for writes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from flask import current_app, request

from irritants.answers import scope
from irritants.api import triage_recluster, triage_suggestions, triage_templates
from irritants.api import triage_schemas as sch
from irritants.api.listing import paged
from irritants.api.spec import ETAG, LOCATION, Blueprint
from irritants.api.triage_access import MAX_ID, NO_STORE, PREFIX, agents_only, commit, current_agent, deciding, reading
from irritants.audit.services import timeline_page
from irritants.auth.policy import Action, Agent, decide
from irritants.clusters.models import Cluster
from irritants.db import get_session
from irritants.errors import IrritantsError, ValidationFailed
from irritants.settings import RankingSettings, settings_of
from irritants.status import STATUS_LABELS_AGENT, allowed_transitions
from irritants.triage import schemas as inputs
from irritants.triage import services as triage

bp = Blueprint(
    "api_triage",
    __name__,
    url_prefix=PREFIX,
    description="Suivi des irritants par les agents : backlog, décisions, modèles de réponse",
)
bp.before_request(agents_only)
# The reply templates', merge suggestions' and re-clustering's routes (apart to keep modules short) are blueprints
# nested in this one: the same prefix, guard and OpenAPI tag.
bp.register_blueprint(triage_templates.bp)
bp.register_blueprint(triage_suggestions.bp)
bp.register_blueprint(triage_recluster.bp)

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')
_IF_MATCH_DOC = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'Version vue de l\'irritant, ex. "3" (ETag du détail) ; équivaut à expected_version.',
}


class InvalidIfMatch(IrritantsError):
    status, slug, title = 400, "invalid-if-match", "En-tête If-Match invalide"


def _ranking() -> RankingSettings:
    """Merges, unmerges, splits and moves rescore irritants with the configured weights."""
    return settings_of(current_app).ranking


def _expected(data: dict[str, Any]) -> int | None:
    """The version the agent decided on: body ``expected_version`` or ``If-Match`` (both must agree)."""
    header = request.headers.get("If-Match")
    from_header = None
    if header is not None:
        match = _IF_MATCH.match(header)
        if match is None:
            raise InvalidIfMatch('En-tête If-Match : la version entre guillemets est attendue, ex. "3".')
        from_header = int(match.group(1))
    body = data.get("expected_version")
    if body is not None and from_header is not None and body != from_header:
        message = "La version de l'en-tête If-Match et expected_version diffèrent."
        raise ValidationFailed(message, errors={"expected_version": [message]})
    return body if body is not None else from_header


def _reason(agent: Agent, data: dict[str, Any]) -> str | None:
    return triage.reason_with_template(get_session(), agent, data.get("template_id"), data.get("reason"))


def _why(agent: Agent, data: dict[str, Any]) -> dict[str, Any]:
    """The version decided on and the reason, as every versioned decision takes them."""
    return {"expected_version": _expected(data), "reason": _reason(agent, data)}


def _squads() -> dict[int, str]:
    return {s.id: s.name for s in triage.list_squads(get_session())}


def _detail(cluster: Cluster) -> tuple[dict[str, Any], int, dict[str, str]]:
    db = get_session()
    linked = triage.clusters_by_ids(db, [cluster.duplicate_of_id] if cluster.duplicate_of_id else [])
    body = {
        **sch.cluster_item(cluster, _squads()),
        "routed_to": cluster.routed_to,
        "duplicate_of": sch.linked(linked[cluster.duplicate_of_id]) if cluster.duplicate_of_id in linked else None,
        "duplicates": [sch.linked(c) for c in triage.duplicates_of(db, cluster.id)],
        "allowed_transitions": [
            {"status": s, "label": STATUS_LABELS_AGENT[s]} for s in allowed_transitions(cluster.status)
        ],
        "score_breakdown": cluster.score_breakdown or {},
        "territorial_breakdown": triage.territorial_breakdown(db, cluster),
        "created_at": cluster.created_at,
        "closed_at": cluster.closed_at,
        "fixed_at": cluster.fixed_at,
        "fixed_on": cluster.fixed_on,
    }
    return body, 200, {**NO_STORE, "ETag": f'"{cluster.version}"'}


# --- reading ----------------------------------------------------------------------------------------------


def _visible(cluster_id: int) -> Cluster:
    """An irritant the calling agent may read (a correspondant: one of their administration's; else 404)."""
    db = get_session()
    cluster = triage.cluster_detail(db, min(cluster_id, MAX_ID))
    scope.check(db, current_agent(), Action.VIEW_BACKLOG, cluster)
    return cluster


@bp.route("/clusters", methods=["GET"])
@bp.arguments(sch.TriageBacklogQuerySchema, location="query")
@paged(bp, sch.TriageClusterPageSchema, deprecated=sch.LEGACY_BACKLOG_SORTS)
@bp.problem(422, "Filtre, tri ou pagination invalide")
@reading(bp)
def list_clusters(filters: triage.BacklogFilters) -> Any:
    """Le backlog : irritants filtrés et triés (doublons et indésirables exclus sauf filtre sur leur statut)."""
    squads = _squads()
    administration, refused = scope.narrowed(current_agent(), filters.administration)
    if refused:  # a correspondant asking for another administration's irritants: said, not silently changed
        raise ValidationFailed(refused[0], errors={"administration": refused})
    filters = replace(filters, administration=administration)
    listed = triage.backlog(get_session(), filters, feedback_settings=settings_of(current_app).feedback)
    return listed.map(lambda c: sch.cluster_item(c, squads)), 200, NO_STORE


@bp.route("/clusters/<int:cluster_id>", methods=["GET"])
@bp.response(200, sch.TriageClusterDetailSchema, headers=ETAG)
@bp.problem(404, "Irritant inconnu")
@reading(bp)
def get_cluster(cluster_id: int) -> Any:
    """Un irritant pour les agents : version, start-up d'État, épinglage, statuts possibles, doublons, territoires."""
    return _detail(_visible(cluster_id))


@bp.route("/clusters/<int:cluster_id>/reports", methods=["GET"])
@bp.arguments(sch.TriageReportQuerySchema, location="query")
@paged(bp, sch.TriageReportPageSchema)
@bp.problem(404, "Irritant inconnu")
@bp.problem(422, "Tri ou pagination invalide")
@reading(bp)
def cluster_reports(args: dict[str, Any], cluster_id: int) -> Any:
    """Les signalements d'un irritant, du plus récent au plus ancien par défaut ; texte brut seulement pour qui peut
    modérer."""
    db = get_session()
    cluster = _visible(cluster_id)
    raw = bool(decide(current_agent(), Action.MODERATE, cluster))  # only who may moderate this irritant reads raw texts
    listed = triage.cluster_reports(
        db, cluster, page=args["page"], page_size=args["page_size"], raw=raw, sort=args["sort"]
    )
    return listed, 200, NO_STORE


@bp.route("/clusters/<int:cluster_id>/events", methods=["GET"])
@bp.arguments(sch.TriageEventQuerySchema, location="query")
@paged(bp, sch.TriageEventPageSchema)
@bp.problem(404, "Irritant inconnu")
@bp.problem(422, "Tri ou pagination invalide")
@reading(bp)
def cluster_events(args: dict[str, Any], cluster_id: int) -> Any:
    """L'historique d'un irritant, du plus récent au plus ancien par défaut : qui, quand, quoi (avant/après),
    pourquoi."""
    db = get_session()
    cluster = _visible(cluster_id)
    listed = timeline_page(db, cluster.id, page=args["page"], page_size=args["page_size"], sort=args["sort"])
    return listed, 200, NO_STORE


# --- decisions --------------------------------------------------------------------------------------------


@bp.route("/clusters/<int:cluster_id>/status", methods=["POST"])
@bp.arguments(
    inputs.TriageStatusBodySchema, example={"to": "triaged", "expected_version": 3, "reason": "Blocage confirmé"}
)
@bp.response(200, sch.TriageClusterDetailSchema, headers=ETAG)
@bp.doc(parameters=[_IF_MATCH_DOC])
@deciding(bp)
def change_status(data: dict[str, Any], cluster_id: int) -> Any:
    """Changer le statut selon le circuit : nouveau → qualifié → planifié → en cours, etc. « Corrigé » ne s'atteint
    que par la déclaration « correctif livré » (POST …/fix) : demandé ici, 422."""
    agent = current_agent()
    cluster = triage.change_status(
        get_session(),
        agent,
        min(cluster_id, MAX_ID),
        data["to"],
        **_why(agent, data),
        routed_to=data.get("routed_to"),
        duplicate_of=data.get("duplicate_of"),
        public_note=data.get("public_note"),
    )
    commit()
    return _detail(cluster)


@bp.route("/clusters/<int:cluster_id>/fix", methods=["POST"])
@bp.arguments(
    inputs.TriageFixBodySchema,
    example={"fixed_on": "2026-12-18", "public_note": "Les créneaux du samedi sont ouverts.", "expected_version": 4},
)
@bp.response(200, sch.TriageClusterDetailSchema, headers=ETAG)
@bp.doc(parameters=[_IF_MATCH_DOC])
@deciding(bp)
def declare_fix(data: dict[str, Any], cluster_id: int) -> Any:
    """« Correctif livré » : l'irritant devient corrigé à cette date, avec la note publique que liront les usagers.
    Seul chemin vers « Corrigé » (responsables produit de sa start-up d'État, administrateurs) ; depuis « Planifié »,
    « En cours » ou « Réapparu » (en passant par « En cours »)."""
    agent = current_agent()
    cluster = triage.declare_fix(
        get_session(), agent, min(cluster_id, MAX_ID), fixed_on=data["fixed_on"], public_note=data["public_note"],
        **_why(agent, data),
    )  # fmt: skip
    commit()
    return _detail(cluster)


@bp.route("/clusters/<int:cluster_id>/merge", methods=["POST"])
@bp.arguments(inputs.TriageMergeBodySchema, example={"source_ids": [12, 15], "reason": "Même blocage"})
@bp.response(200, sch.TriageClusterDetailSchema, headers=ETAG)
@bp.doc(parameters=[_IF_MATCH_DOC])
@deciding(bp)
def merge(data: dict[str, Any], cluster_id: int) -> Any:
    """Fusionner des irritants dans celui-ci : signalements et soutiens y passent, chaque personne comptée une fois."""
    agent = current_agent()
    target_id = min(cluster_id, MAX_ID)
    versions = {int(k): v for k, v in (data.get("expected_versions") or {}).items()}
    expected = _expected(data)
    if expected is not None:
        versions[target_id] = expected
    cluster = triage.merge(
        get_session(), agent, target_id, data["source_ids"], ranking=_ranking(), expected_versions=versions,
        reason=_reason(agent, data),
    )  # fmt: skip
    commit()
    return _detail(cluster)


@bp.route("/clusters/<int:cluster_id>/unmerge", methods=["POST"])
@bp.arguments(inputs.TriageReasonBodySchema, example={"reason": "Fusion faite par erreur"})
@bp.response(200, sch.TriageClusterDetailSchema, headers=ETAG)
@deciding(bp)
def unmerge(data: dict[str, Any], cluster_id: int) -> Any:
    """Défaire la fusion de cet irritant : il retrouve exactement ses signalements, ses soutiens et son statut."""
    agent = current_agent()
    cluster = triage.unmerge(
        get_session(), agent, min(cluster_id, MAX_ID), ranking=_ranking(), reason=_reason(agent, data)
    )
    commit()
    return _detail(cluster)


@bp.route("/clusters/<int:cluster_id>/split", methods=["POST"])
@bp.arguments(inputs.TriageSplitBodySchema, example={"report_ids": [101, 102], "label": "IBAN refusé"})
@bp.response(201, sch.TriageClusterDetailSchema, headers={**LOCATION, **ETAG})
@bp.doc(parameters=[_IF_MATCH_DOC])
@deciding(bp)
def split(data: dict[str, Any], cluster_id: int) -> Any:
    """Séparer des signalements dans un nouvel irritant (le regroupement automatique les y laissera)."""
    agent = current_agent()
    db, ids = get_session(), data["report_ids"]
    cluster = triage.split(
        db, agent, min(cluster_id, MAX_ID), ids, ranking=_ranking(), label=data.get("label"), **_why(agent, data)
    )
    commit()
    body, _, headers = _detail(cluster)
    return body, 201, {**headers, "Location": f"{bp.url_prefix}/clusters/{cluster.id}"}


@bp.route("/clusters/<int:cluster_id>/assign", methods=["POST"])
@bp.arguments(inputs.TriageAssignBodySchema, example={"squad_id": 2})
@bp.response(200, sch.TriageClusterDetailSchema, headers=ETAG)
@bp.doc(parameters=[_IF_MATCH_DOC])
@deciding(bp)
def assign(data: dict[str, Any], cluster_id: int) -> Any:
    """Confier l'irritant à une start-up d'État (null : le reprendre).

    Le confier à une start-up d'État dont l'agent n'est pas membre lui retire toute décision sur l'irritant (seuls
    les responsables produit de cette start-up d'État et les administrateurs pourront agir dessus ou le lui
    rendre) : la demande doit alors porter `"confirm_transfer": true`, sinon elle répond 422 sans rien changer.
    """
    agent = current_agent()
    with _transfer_hint():
        cluster = triage.assign_squad(
            get_session(), agent, min(cluster_id, MAX_ID), data["squad_id"], **_why(agent, data),
            confirm_transfer=data["confirm_transfer"],
        )  # fmt: skip
    commit()
    return _detail(cluster)


@contextmanager
def _transfer_hint() -> Iterator[None]:
    """An unconfirmed transfer, told the API's way: which field confirms it."""
    try:
        yield
    except triage.TransferNotConfirmed as exc:
        warning = exc.detail.removesuffix(" Confirmez le transfert pour l'appliquer.")
        message = f'{warning} Pour confirmer, renvoyez la demande avec "confirm_transfer": true.'
        raise triage.TransferNotConfirmed(message, errors={"confirm_transfer": [message]}) from exc


@bp.route("/clusters/<int:cluster_id>/pin", methods=["POST"])
@bp.arguments(inputs.TriagePinBodySchema, example={"pinned": True})
@bp.response(200, sch.TriageClusterDetailSchema, headers=ETAG)
@bp.doc(parameters=[_IF_MATCH_DOC])
@deciding(bp)
def pin(data: dict[str, Any], cluster_id: int) -> Any:
    """Épingler (ou désépingler) : le regroupement automatique ne touche plus à ses signalements."""
    agent = current_agent()
    cluster = triage.set_pinned(get_session(), agent, min(cluster_id, MAX_ID), data["pinned"], **_why(agent, data))
    commit()
    return _detail(cluster)


@bp.route("/clusters/<int:cluster_id>/label", methods=["POST"])
@bp.arguments(
    inputs.TriageLabelBodySchema, example={"label": "Rendez-vous introuvables en préfecture", "keywords": ["rdv"]}
)
@bp.response(200, sch.TriageClusterDetailSchema, headers=ETAG)
@bp.doc(parameters=[_IF_MATCH_DOC])
@deciding(bp)
def label(data: dict[str, Any], cluster_id: int) -> Any:
    """Renommer l'irritant et fixer ses mots-clés ; le libellé est ensuite verrouillé."""
    agent = current_agent()
    words = data["keywords"]
    cluster = triage.edit_label(
        get_session(), agent, min(cluster_id, MAX_ID), data["label"], words, **_why(agent, data)
    )
    commit()
    return _detail(cluster)


@bp.route("/reports/<int:report_id>/move", methods=["POST"])
@bp.arguments(inputs.TriageMoveBodySchema, example={"to_cluster_id": 7, "reason": "Mauvais irritant"})
@bp.response(200, sch.TriageMovedReportSchema)
@deciding(bp)
def move_report(data: dict[str, Any], report_id: int) -> Any:
    """Déplacer un signalement dans un autre irritant (il y restera au prochain regroupement)."""
    agent = current_agent()
    report = triage.move_report(
        get_session(), agent, min(report_id, MAX_ID), data["to_cluster_id"], ranking=_ranking(),
        reason=_reason(agent, data),
    )  # fmt: skip
    commit()
    body = {"id": report.id, "cluster_id": report.cluster_id, "cluster_locked": True, "status": report.status}
    return body, 200, NO_STORE


@bp.route("/bulk", methods=["POST"])
@bp.arguments(inputs.TriageBulkBodySchema, example={"cluster_ids": [3, 4, 9], "operation": "status", "to": "triaged"})
@bp.response(200, sch.TriageBulkResultSchema)
@deciding(bp)
def bulk(data: dict[str, Any]) -> Any:
    """Une décision sur plusieurs irritants : appliquée à chacun de ceux qui peuvent la recevoir.

    Réponse 200 : `changed` (irritants modifiés, un événement d'historique chacun) et `skipped` (les autres, laissés
    tels quels, chacun avec sa raison `{id, reason}`). Si aucun n'a pu être modifié : 422 (403 si c'est la politique
    d'accès qui les refuse tous), avec une entrée d'`errors` par irritant (`#/cluster_ids/<position>`).
    `assign` vers une start-up d'État dont l'agent n'est pas membre demande `"confirm_transfer": true`.
    """
    agent = current_agent()
    with _transfer_hint():
        result = triage.apply_bulk(
            get_session(),
            agent,
            data["cluster_ids"],
            data["operation"],
            to=data.get("to"),
            squad_id=data.get("squad_id"),
            routed_to=data.get("routed_to"),
            reason=_reason(agent, data),
            confirm_transfer=data["confirm_transfer"],
        )
    commit()
    squads = _squads()
    body = {
        "changed": [sch.cluster_item(c, squads) for c in result.changed],
        "skipped": [{"id": s.cluster_id, "reason": s.reason} for s in result.skipped],
    }
    return body, 200, NO_STORE
