"""What an irritant's back-office page shows, for one agent: the data of each section, the decisions the policy
lets them take, which sections start open, and where a refused decision is told. No Flask here: the view passes
the request's arguments and renders ``backoffice/cluster.html`` with this context."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from irritants.answers import scope
from irritants.answers import services as answers
from irritants.audit import services as audit
from irritants.auth.exceptions import Forbidden
from irritants.auth.models import Role
from irritants.auth.policy import Action, Agent, decide
from irritants.clusters import effect as fix_effect
from irritants.clusters.services import administration_names
from irritants.conversations import services as conversations
from irritants.feedback import services as feedback
from irritants.settings import ClusteringSettings, FeedbackSettings, FixEffectSettings
from irritants.status import StatusKind, allowed_transitions
from irritants.triage import backlog, fixes, history, suggestions
from irritants.triage import templates as replies
from irritants.triage.backoffice_forms import Failure

REPORTS_PAGE_SIZE = 20
# Statuses with a form of their own (they need more than a status: where it went, the main irritant, the day and
# public note of the fix: « fixed » is reached only by declaring « correctif livré », fixes.py).
DEDICATED = (StatusKind.DUPLICATE, StatusKind.NOT_OUR_SCOPE, StatusKind.SPAM, StatusKind.FIXED)
# The page's sections, in order (id → title); each decision form lives in one of them.
SECTIONS = {
    "decisions": "Décisions",
    "remodeler": "Fusion, doublon, hors périmètre, indésirable",
    "ressemblances": "Irritants qui se ressemblent",
    "signalements": "Signalements",
    "questions": "Questions aux personnes",
    "reponse": "Réponse publique de l’administration",
    "score": "Détail du score",
    "territoires": "Territoires et irritants proches",
    "historique": "Historique",
}
SECTION_OF_FORM = {
    "statut": "decisions",
    "correctif": "decisions",
    "start-up": "decisions",
    "libelle": "decisions",
    "epinglage": "decisions",
    "doublon": "remodeler",
    "fusion": "remodeler",
    "hors-perimetre": "remodeler",
    "indesirable": "remodeler",
    "signalements": "signalements",
    "questions": "questions",
    "reponse": "reponse",
}


def _section_of(form: str) -> str:
    if form.startswith("ressemblance-"):
        return "ressemblances"
    return "remodeler" if form.startswith("defusion-") else SECTION_OF_FORM[form]


def templates_for(session: Session, agent: Agent) -> list[Any]:
    """Reply templates this agent may use (none when they may not use any)."""
    try:
        return replies.list_templates(session, agent)
    except Forbidden:
        return []


def _can(agent: Agent, cluster: Any) -> dict[str, bool]:
    allowed = allowed_transitions(cluster.status)
    reshape = bool(decide(agent, Action.RESHAPE, cluster))
    return {
        "edit": bool(decide(agent, Action.EDIT_CLUSTER, cluster)),
        "assign": bool(decide(agent, Action.ASSIGN_SQUAD, cluster)),
        "reshape": reshape,
        "duplicate": reshape and StatusKind.DUPLICATE in allowed,
        "merge": reshape and cluster.status not in (StatusKind.DUPLICATE, StatusKind.SPAM),
        "route": reshape and StatusKind.NOT_OUR_SCOPE in allowed,
        "spam": reshape and StatusKind.SPAM in allowed,
        "fix": cluster.status in fixes.FIXABLE and bool(decide(agent, Action.DECLARE_FIX, cluster)),
        "ask": bool(decide(agent, Action.ASK_REPORTER, cluster)),
        # The page already checked that a correspondant's administration is concerned (scope.check).
        "answer": bool(decide(agent, Action.ANSWER_PUBLICLY)) and cluster.status not in answers.CLOSED,
    }


def _forms_shown(
    can: dict[str, bool], statuses: list[Any], reports: list[Any], merged: list[Any], alike: list[Any]
) -> dict[str, bool]:
    """Which decision forms the page holds (the same conditions as the templates)."""
    return {
        **{f"ressemblance-{s.key}": True for s in alike},
        "statut": bool(statuses),
        "correctif": can["fix"],
        "start-up": can["assign"],
        "libelle": can["edit"],
        "epinglage": can["edit"],
        "doublon": can["duplicate"],
        "fusion": can["merge"],
        "hors-perimetre": can["route"],
        "indesirable": can["spam"],
        "signalements": can["reshape"] and bool(reports),
        "questions": can["ask"],
        "reponse": can["answer"],
        **{f"defusion-{other.id}": can["reshape"] for other in merged},
    }


def cluster_context(
    session: Session,
    agent: Agent,
    cluster_id: int,
    *,
    page: int,
    page_given: bool = False,
    query: str,
    clustering: ClusteringSettings,
    feedback_settings: FeedbackSettings,
    failure: Failure | None = None,
    reload_url: str = "",
    effect_settings: FixEffectSettings = FixEffectSettings(),
) -> dict[str, Any]:
    """Everything ``backoffice/cluster.html`` shows (see its header for the names)."""
    cluster = backlog.cluster_detail(session, cluster_id)
    scope.check(session, agent, Action.VIEW_BACKLOG, cluster)  # a correspondant: their administration's only (404)
    raw = bool(decide(agent, Action.MODERATE, cluster))
    listed = backlog.cluster_reports(session, cluster, page=page, page_size=REPORTS_PAGE_SIZE, raw=raw)
    reports = listed.items
    squads = backlog.list_squads(session)
    squad_names = {s.id: s.name for s in squads}
    can = _can(agent, cluster)
    statuses = [
        s
        for s in allowed_transitions(cluster.status)
        if s not in DEDICATED and decide(agent, Action.CHANGE_STATUS, cluster, to=s.value)
    ]
    merged = backlog.merged_into(session, cluster)
    alike = suggestions.suggestions_for(session, agent, cluster)
    shown = _forms_shown(can, statuses, reports, merged, alike)

    # A refused decision is told inside its form, in an open section; if the form is gone (the irritant changed
    # meanwhile, or the agent's rights did), at the top of the page instead, never silently.
    opened, lost = set(), None
    if failure is not None:
        failure = replace(failure, reload_url=reload_url)
        if shown.get(failure.form):
            opened.add(_section_of(failure.form))
        else:
            lost = replace(failure, form="page", errors={})
    if query:
        opened.add("remodeler")  # the results of « Chercher un irritant » are there
    if page_given:
        opened.add("signalements")  # the reports' pagination links come back here
    linked = backlog.clusters_by_ids(session, [cluster.duplicate_of_id or 0])
    perceived = feedback.perceived_rate(session, feedback_settings, cluster.id)
    return {
        "cluster": cluster,
        "raw": raw,
        # Conversations with the reports' authors, and whom a question may reach (never their address).
        "threads": conversations.threads_of_cluster(session, cluster.id, raw=raw),
        "askable": conversations.reachable_in_cluster(session, cluster.id) if can["ask"] else [],
        "reachable_ids": conversations.reachable(
            session, [r["id"] for r in reports] + [int(i) for i in cluster.excerpt_report_ids or []]
        ),
        "reports": reports,
        "total_reports": listed.total,
        "page": page,
        "pages": listed.pages,
        "representative": backlog.representative_reports(session, cluster, raw=raw),
        "territories": backlog.territorial_breakdown(session, cluster),
        "similar": backlog.similar_clusters(session, cluster, clustering=clustering),
        "query": query,
        "search": backlog.search_clusters(session, query, exclude=cluster.id) if query else [],
        "merged": merged,
        "suggestions": alike,
        "duplicate_of": linked.get(cluster.duplicate_of_id or 0),
        "main_administration": administration_names(session, [cluster.main_administration_id]).get(
            cluster.main_administration_id or 0
        ),
        "squads": squads,
        "squad_names": squad_names,
        "statuses": statuses,
        "can": can,
        # Every backlog item of the irritant is done: the squad is invited to declare its fix (never automatic); or
        # it is fixed and an item was re-opened: the product owner decides whether the problem is back.
        "awaiting_fix": bool(fixes.awaiting_fix(session, cluster_ids=[cluster.id])),
        "reopened_after_fix": bool(fixes.reopened_after_fix(session, cluster_ids=[cluster.id])),
        "today": fixes.today(),
        # The inflow before and after the last declared fix (also on the public page).
        "fix_effect": fix_effect.shown(session, effect_settings, cluster),
        "fix_effect_weeks": effect_settings.weeks,
        # A product owner looking at another squad's irritant: say who may act on it (or give it back).
        "held_by": squad_names.get(cluster.squad_id or 0)
        if agent.has(Role.PRODUCT_OWNER) and not can["assign"]
        else None,
        "templates": templates_for(session, agent) if statuses or any(can.values()) else [],
        "events": history.entries(audit.timeline(session, cluster.id), squad_names=squad_names),
        "perceived": perceived if cluster.status in feedback.ASKED_STATUSES or perceived.answers else None,
        # Administrations' public answers, and those the agent may answer in the name of.
        "answers": answers.answers_of(session, cluster.id),
        "answering_for": answers.answering_for(session, agent, cluster, None) if can["answer"] else [],
        "sections": SECTIONS,
        "opened": opened,
        "failure": failure,
        "lost_failure": lost,
    }
