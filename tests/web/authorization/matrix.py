"""Every back-office route and API endpoint × every kind of caller: the matrix, its world and the check of one case.

Refused callers get 401/302-to-login (anonymous), 403, or 404 (objects they may not know exist), and the
database is left exactly as it was. Allowed callers succeed with the same valid request. A route added without an
entry in ROUTES fails ``test_every_back_office_route_is_in_the_matrix`` (test_matrix.py). The cases run from one
test module per part of the service (``PARTS``): each module builds its own app and world, so the parts run side by
side when the suite runs in several processes.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, text

from irritants.auth.api_tokens import create_token
from irritants.auth.models import User
from irritants.auth.passwords import hash_password
from irritants.auth.policy import Agent
from irritants.background.models import BackgroundJob, JobState
from irritants.clusters.models import Cluster
from irritants.db import Base, get_db, utcnow
from irritants.exports.models import ExportRequest, ExportState
from irritants.intake.models import Moderation, ReportContact
from irritants.referential.models import Administration
from irritants.settings import settings_of
from irritants.squads.backlog import create_item
from irritants.squads.sprint_services import create_sprint, start_sprint
from irritants.triage import fixes
from irritants.triage import services as triage
from irritants.triage.models import ReplyTemplate
from irritants.webhooks import services as webhooks
from tests.conftest import (
    PASSWORD,
    RANKING,
    clean_database,
    make_cluster,
    make_report,
    make_squad,
    make_user,
    sign_in,
)

PRINCIPALS = (
    "anonymous",
    "no_role",
    "po",
    "po_other_squad",
    "squad_member",
    "manager",
    "admin",
    "token_other_squad",
    "correspondant",  # of the CAF, the administration of every report of this world
)
VIEWERS = {"po", "po_other_squad", "squad_member", "manager", "admin", "token_other_squad"}
OWNERS = {"po", "admin"}  # product owner of the irritant's squad, and admins
MODERATORS = {"po", "po_other_squad", "admin"}
SQUAD_WORK = {"po", "squad_member", "admin"}  # the squad's own people moving its work along
EVERYONE = set(PRINCIPALS)  # public reads: anonymous callers too
SQUAD_EDITORS = {"po", "admin"}  # product owner of squad A, and admins
SELF_SERVICE = {"no_role", "po", "po_other_squad", "squad_member", "manager", "admin", "correspondant"}  # own data
# Exports span every squad's data: managers and admins; product owners and members get 403 (docs/exports.md).
EXPORTERS = {"manager", "admin"}


@dataclass
class World:
    squad_a: int
    squad_b: int
    squad_a_slug: str
    cluster: int  # irritant of squad A, planned
    version: int
    free: int  # unassigned irritant, new
    duplicate: int  # irritant of squad A merged into ``cluster``
    report: int  # a report of ``cluster`` held for moderation
    template: int  # reply template of squad A
    own_token: int  # the caller's own API token (self-service routes)
    sprint: int = 0  # planned sprint of squad A
    item: int = 0  # backlog item of squad A, in ``sprint``
    backlog_item: int = 0  # backlog item of squad A in its product backlog, second of two (it can go to the top)
    linked_item: int = 0  # backlog item of squad A linked to ``cluster``
    link_token: str = "lien-inconnu"  # a token of a mailed link (reset, unsubscribe): unknown, so refused
    sprint_number: int = 1  # ``sprint``'s number, as the sprint pages name it
    member: int = 0  # the squad member of squad A (a principal), whom the members' form removes
    target_user: int = 0  # an agent in no squad, whose account the accounts' forms change
    target_email: str = ""
    target_token: int = 0  # their API token
    webhook: int = 0  # a webhook endpoint of squad A
    export: int = 0  # a background export of the manager (a principal), ready, its file in the instance folder
    recluster_job: int = 0  # a finished re-clustering job, asked for by the admin


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    allowed: frozenset[str]
    body: Callable[[World], dict[str, Any]] | None = None
    # Brings the world to the state the route needs (e.g. an active sprint to close), before the snapshot.
    prepare: Callable[[Any, World], None] | None = None

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def route(
    method: str,
    path: str,
    allowed: set[str],
    body: Callable[[World], dict[str, Any]] | None = None,
    prepare: Callable[[Any, World], None] | None = None,
) -> Route:
    return Route(method, path, frozenset(allowed), body, prepare)


def start_the_sprint(app: Any, world: World) -> None:
    with app.app_context(), get_db(app).session_scope() as s:
        start_sprint(s, None, world.sprint)
        s.commit()


HTML_VIEWERS = VIEWERS - {"token_other_squad"}
CSV_HEADER = "id;title;irritants\r\n"


def csv_file(row: str) -> tuple[io.BytesIO, str]:
    """A backlog file of one row, as the import form uploads it."""
    return io.BytesIO(f"{CSV_HEADER}{row}\r\n".encode()), "backlog.csv"


def carried(row: str) -> dict[str, str]:
    """The same file as « Appliquer ces changements » carries it back (base64)."""
    return {"contenu": base64.b64encode(f"{CSV_HEADER}{row}\r\n".encode()).decode()}


# Every principal has the password PASSWORD (one hash for all: Argon2 is slow on purpose).
PASSWORD_HASH = hash_password(PASSWORD)
NEW_PASSWORD_FORM = {
    "current_password": PASSWORD,
    "new_password": "une toute nouvelle phrase de passe 7",
    "new_password_confirmation": "une toute nouvelle phrase de passe 7",
}
ROUTES = {
    # Back-office pages and forms.
    "auth.home": route("GET", "/agents/", SELF_SERVICE),
    "auth.create_token": route("POST", "/agents/jetons", SELF_SERVICE, lambda w: {"name": "tableur", "days": "30"}),
    "auth.revoke_token": route("POST", "/agents/jetons/{own_token}/revocation", SELF_SERVICE),
    "auth.password_page": route("GET", "/agents/mot-de-passe", SELF_SERVICE),
    "auth.change_password": route("POST", "/agents/mot-de-passe", SELF_SERVICE, lambda w: NEW_PASSWORD_FORM),
    "notifications.page": route("GET", "/agents/notifications", SELF_SERVICE),
    "notifications.save": route("POST", "/agents/notifications", SELF_SERVICE, lambda w: {"squads": str(w.squad_a)}),
    "backoffice.backlog_page": route("GET", "/agents/irritants", HTML_VIEWERS),
    "dashboard.page": route("GET", "/agents/tableau-de-bord", {"manager", "admin"}),
    "backoffice.cluster_page": route("GET", "/agents/irritants/{cluster}", HTML_VIEWERS),
    "backoffice.edit_label": route(
        "POST",
        "/agents/irritants/{cluster}/libelle",
        OWNERS,
        lambda w: {"label": "Rendez-vous impossibles", "keywords": "rendez-vous", "expected_version": w.version},
    ),
    "backoffice.change_status": route(
        "POST", "/agents/irritants/{cluster}/statut", SQUAD_WORK, lambda w: {"to": "in_progress"}
    ),
    # « Correctif livré »: the irritant's squad's product owners and admins only (members, managers, others: 403).
    "backoffice.declare_fix": route(
        "POST",
        "/agents/irritants/{cluster}/correctif",
        OWNERS,
        lambda w: {"date_livraison": fixes.today().isoformat(), "note_publique": "Les créneaux sont ouverts."},
    ),
    # A question to a report's author speaks for the service: the product owners who answer for the irritant.
    "backoffice.ask_reporter": route(
        "POST",
        "/agents/irritants/{cluster}/questions",
        OWNERS,
        lambda w: {"signalement": str(w.report), "question": "Depuis quand le site refuse-t-il votre dossier ?"},
    ),
    "backoffice.assign_squad": route(
        "POST", "/agents/irritants/{cluster}/start-up", OWNERS, lambda w: {"squad": str(w.squad_b), "confirm": "1"}
    ),
    "backoffice.set_pinned": route("POST", "/agents/irritants/{cluster}/epinglage", OWNERS, lambda w: {"pinned": "1"}),
    "backoffice.mark_duplicate": route(
        "POST", "/agents/irritants/{cluster}/doublon", OWNERS, lambda w: {"number": str(w.free)}
    ),
    "backoffice.not_our_scope": route(
        "POST", "/agents/irritants/{cluster}/hors-perimetre", OWNERS, lambda w: {"routed_to": "Mairie de Lille"}
    ),
    "backoffice.mark_spam": route("POST", "/agents/irritants/{cluster}/indesirable", OWNERS, lambda w: {}),
    "backoffice.merge": route("POST", "/agents/irritants/{cluster}/fusion", OWNERS, lambda w: {"sources": str(w.free)}),
    "backoffice.unmerge": route("POST", "/agents/irritants/{duplicate}/defusion", OWNERS, lambda w: {}),
    "backoffice.merge_suggested": route(
        "POST", "/agents/irritants/{cluster}/ressemblance/fusion", OWNERS, lambda w: {"fusionne": str(w.free)}
    ),
    "backoffice.dismiss_suggested": route(
        "POST", "/agents/irritants/{cluster}/ressemblance/ecart", OWNERS, lambda w: {"autre": str(w.free)}
    ),
    "backoffice.reshape_reports": route(
        "POST",
        "/agents/irritants/{cluster}/signalements",
        OWNERS,
        lambda w: {"reports": str(w.report), "action": "deplacer", "to_cluster": str(w.free)},
    ),
    "backoffice.bulk_action": route(
        "POST", "/agents/irritants/lot", OWNERS, lambda w: {"ids": str(w.cluster), "operation": "pin"}
    ),
    "backoffice.templates_page": route("GET", "/agents/modeles", HTML_VIEWERS),
    "backoffice.create_template": route(
        "POST",
        "/agents/modeles",
        SQUAD_WORK,
        lambda w: {"title": "Relance", "body": "Nous relançons l'administration.", "squad": str(w.squad_a)},
    ),
    "backoffice.update_template": route(
        "POST", "/agents/modeles/{template}", SQUAD_WORK, lambda w: {"title": "Relance (v2)", "body": "Reçu."}
    ),
    "backoffice.delete_template": route("POST", "/agents/modeles/{template}/suppression", SQUAD_WORK, lambda w: {}),
    "team_sprints.sprint_list": route("GET", "/agents/equipes/{squad_a_slug}/sprints", HTML_VIEWERS),
    "team_sprints.sprint_view": route("GET", "/agents/equipes/{squad_a_slug}/sprints/{sprint_number}", HTML_VIEWERS),
    "team_sprints.create_sprint": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/sprints",
        SQUAD_EDITORS,
        lambda w: {"starts_on": "2027-01-04", "ends_on": "2027-01-15", "goal": "Créneaux du samedi"},
    ),
    "team_sprints.edit_sprint": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/sprints/{sprint_number}/modification",
        SQUAD_EDITORS,
        lambda w: {"goal": "Samedi"},
    ),
    "team_sprints.start_sprint": route(
        "POST", "/agents/equipes/{squad_a_slug}/sprints/{sprint_number}/demarrage", SQUAD_EDITORS
    ),
    "team_sprints.close_sprint": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/sprints/{sprint_number}/cloture",
        SQUAD_EDITORS,
        lambda w: {"unfinished": "backlog"},
        prepare=start_the_sprint,
    ),
    "moderation.queue": route("GET", "/agents/moderation", MODERATORS - {"token_other_squad"}),
    # Everyone who moderates opens the queue (filtered: see test_moderation_lists_only_what_the_caller_may_moderate),
    # but only the irritant's own squad (and admins) decide on its reports: the report is in squad A's irritant.
    "moderation.decide": route(
        "POST", "/agents/moderation/{report}", OWNERS, lambda w: {"decision": "publish", "expected": "pending"}
    ),
    "moderation.preview": route("POST", "/agents/moderation/{report}/apercu", OWNERS, lambda w: {"mask": "RSA"}),
    # The squads' own pages (teams): every agent with a role reads; the squad's people move its items; linking an
    # item to irritants is its product owners' call.
    "board.my_team_page": route("GET", "/agents/mon-equipe", HTML_VIEWERS),
    "board.squad_page": route("GET", "/agents/equipes/{squad_a_slug}", HTML_VIEWERS),
    "board.change_state": route(
        "POST", "/agents/equipes/{squad_a_slug}/elements/{item}/etat", SQUAD_WORK, lambda w: {"state": "in_progress"}
    ),
    "board.set_sprint": route(
        "POST", "/agents/equipes/{squad_a_slug}/elements/{item}/sprint", SQUAD_WORK, lambda w: {"sprint": "backlog"}
    ),
    "board.move": route(
        "POST", "/agents/equipes/{squad_a_slug}/elements/{backlog_item}/rang", SQUAD_WORK, lambda w: {"move": "top"}
    ),
    "team_items.create_item": route(
        "POST", "/agents/equipes/{squad_a_slug}/elements", SQUAD_WORK, lambda w: {"title": "Rappel par SMS"}
    ),
    "team_items.create_item.links": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/elements",
        SQUAD_EDITORS,
        lambda w: {"title": "Rappel par SMS", "irritants": str(w.cluster)},
    ),
    # « Correctif livré » from the board: the irritant's squad's product owners and admins (same rule as its page).
    "board.declare_fix": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/irritants/{cluster}/correctif",
        OWNERS,
        lambda w: {"date_livraison": fixes.today().isoformat(), "note_publique": "Les créneaux sont ouverts."},
    ),
    "team_items.item_page": route("GET", "/agents/equipes/{squad_a_slug}/elements/{item}", HTML_VIEWERS),
    "team_items.edit_item": route(
        "POST", "/agents/equipes/{squad_a_slug}/elements/{item}", SQUAD_WORK, lambda w: {"points": "5"}
    ),
    "team_items.link": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/elements/{item}/irritants",
        SQUAD_EDITORS,
        lambda w: {"irritants": str(w.cluster)},
    ),
    "team_items.unlink": route(
        "POST", "/agents/equipes/{squad_a_slug}/elements/{linked_item}/irritants/{cluster}/retrait", SQUAD_EDITORS
    ),
    # A squad's backlog as a CSV file: every reader downloads it; importing is working the items (linking: its
    # product owners'). The simulation writes nothing, but is refused to whoever may not apply it.
    "backlog_file.export": route("GET", "/agents/equipes/{squad_a_slug}/backlog.csv", HTML_VIEWERS),
    "backlog_file.import_page": route("GET", "/agents/equipes/{squad_a_slug}/import", SQUAD_WORK),
    "backlog_file.simulate": route(
        "POST", "/agents/equipes/{squad_a_slug}/import", SQUAD_WORK, lambda w: {"fichier": csv_file(";Rappel")}
    ),
    "backlog_file.simulate.links": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/import",
        SQUAD_EDITORS,
        lambda w: {"fichier": csv_file(f";Rappel;{w.cluster}")},
    ),
    "backlog_file.apply": route(
        "POST", "/agents/equipes/{squad_a_slug}/import/application", SQUAD_WORK, lambda w: carried(";Rappel")
    ),
    "backlog_file.apply.links": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/import/application",
        SQUAD_EDITORS,
        lambda w: carried(f";Rappel;{w.cluster}"),
    ),
    # API.
    "api_me.me": route("GET", "/api/v1/me", SELF_SERVICE | {"token_other_squad"}),
    "api_me.change_password": route(
        "POST",
        "/api/v1/me/password",
        SELF_SERVICE | {"token_other_squad"},
        lambda w: {key: NEW_PASSWORD_FORM[key] for key in ("current_password", "new_password")},
    ),
    "api_moderation.list_pending": route("GET", "/api/v1/moderation/reports", MODERATORS),
    "api_moderation.decide": route(
        "POST", "/api/v1/moderation/reports/{report}/decision", OWNERS, lambda w: {"decision": "reject"}
    ),
    "api_triage.list_clusters": route("GET", "/api/v1/triage/clusters", VIEWERS),
    "api_triage.get_cluster": route("GET", "/api/v1/triage/clusters/{cluster}", VIEWERS),
    "api_triage.cluster_reports": route("GET", "/api/v1/triage/clusters/{cluster}/reports", VIEWERS),
    "api_triage.cluster_events": route("GET", "/api/v1/triage/clusters/{cluster}/events", VIEWERS),
    "api_triage.change_status": route(
        "POST", "/api/v1/triage/clusters/{cluster}/status", SQUAD_WORK, lambda w: {"to": "in_progress"}
    ),
    "api_triage.declare_fix": route(
        "POST",
        "/api/v1/triage/clusters/{cluster}/fix",
        OWNERS,
        lambda w: {"fixed_on": fixes.today().isoformat(), "public_note": "Les créneaux sont ouverts."},
    ),
    "api_triage.merge": route(
        "POST", "/api/v1/triage/clusters/{cluster}/merge", OWNERS, lambda w: {"source_ids": [w.free]}
    ),
    "api_triage.unmerge": route("POST", "/api/v1/triage/clusters/{duplicate}/unmerge", OWNERS, lambda w: {}),
    "api_triage.split": route(
        "POST", "/api/v1/triage/clusters/{cluster}/split", OWNERS, lambda w: {"report_ids": [w.report]}
    ),
    "api_triage.assign": route(
        "POST",
        "/api/v1/triage/clusters/{cluster}/assign",
        OWNERS,
        # Squad B is not the product owner's: handing the irritant over needs the confirmation.
        lambda w: {"squad_id": w.squad_b, "confirm_transfer": True},
    ),
    "api_triage.pin": route("POST", "/api/v1/triage/clusters/{cluster}/pin", OWNERS, lambda w: {"pinned": True}),
    "api_triage.label": route(
        "POST",
        "/api/v1/triage/clusters/{cluster}/label",
        OWNERS,
        lambda w: {"label": "Rendez-vous impossibles", "expected_version": w.version},
    ),
    "api_triage.move_report": route(
        "POST", "/api/v1/triage/reports/{report}/move", OWNERS, lambda w: {"to_cluster_id": w.free}
    ),
    "api_triage.bulk": route(
        "POST", "/api/v1/triage/bulk", OWNERS, lambda w: {"cluster_ids": [w.cluster], "operation": "pin"}
    ),
    "api_triage.suggestions.backlog_suggestions": route("GET", "/api/v1/triage/suggestions", VIEWERS),
    "api_triage.suggestions.similar": route("GET", "/api/v1/triage/clusters/{cluster}/similar", VIEWERS),
    "api_triage.suggestions.not_same": route(
        "POST", "/api/v1/triage/clusters/{cluster}/not-same", OWNERS, lambda w: {"other_id": w.free}
    ),
    "api_triage.templates.list_templates": route("GET", "/api/v1/triage/templates", VIEWERS),
    "api_triage.templates.create_template": route(
        "POST",
        "/api/v1/triage/templates",
        SQUAD_WORK,
        lambda w: {"title": "Relance", "body": "Nous relançons l'administration.", "squad_id": w.squad_a},
    ),
    "api_triage.templates.update_template": route(
        "PATCH", "/api/v1/triage/templates/{template}", SQUAD_WORK, lambda w: {"title": "Relance (v2)"}
    ),
    "api_triage.templates.delete_template": route("DELETE", "/api/v1/triage/templates/{template}", SQUAD_WORK),
    "api_squads.list_squads": route("GET", "/api/v1/squads", EVERYONE),
    "api_squads.get_squad": route("GET", "/api/v1/squads/{squad_a_slug}", EVERYONE),
    "api_squads.create_squad": route(
        "POST", "/api/v1/squads", {"admin"}, lambda w: {"name": "Permis de conduire", "administration": "ants"}
    ),
    "api_squads.edit_squad": route(
        "PATCH", "/api/v1/squads/{squad_a_slug}", SQUAD_EDITORS, lambda w: {"mission": "Des rendez-vous pour tous."}
    ),
    "api_squads.change_phase": route(
        "POST", "/api/v1/squads/{squad_a_slug}/phase", SQUAD_EDITORS, lambda w: {"phase": "construction"}
    ),
    "api_sprints.list_sprints": route("GET", "/api/v1/squads/{squad_a_slug}/sprints", VIEWERS),
    "api_sprints.create_sprint": route(
        "POST",
        "/api/v1/squads/{squad_a_slug}/sprints",
        SQUAD_EDITORS,
        lambda w: {"starts_on": "2027-01-04", "ends_on": "2027-01-15", "goal": "Créneaux du samedi"},
    ),
    "api_sprints.get_sprint": route("GET", "/api/v1/sprints/{sprint}", VIEWERS),
    "api_sprints.edit_sprint": route("PATCH", "/api/v1/sprints/{sprint}", SQUAD_EDITORS, lambda w: {"state": "active"}),
    "api_sprints.burndown": route("GET", "/api/v1/sprints/{sprint}/burndown", VIEWERS),
    "api_sprints.velocity": route("GET", "/api/v1/squads/{squad_a_slug}/velocity", VIEWERS),
    "api_sprints.list_items": route("GET", "/api/v1/squads/{squad_a_slug}/items", VIEWERS),
    "api_sprints.create_item": route(
        "POST", "/api/v1/squads/{squad_a_slug}/items", SQUAD_WORK, lambda w: {"title": "Rappel par SMS", "points": 2}
    ),
    "api_sprints.get_item": route("GET", "/api/v1/items/{item}", VIEWERS),
    "api_sprints.edit_item": route("PATCH", "/api/v1/items/{item}", SQUAD_WORK, lambda w: {"state": "in_progress"}),
    # Linking irritants is the product owner's call, not a member's.
    "api_sprints.edit_item.links": route(
        "PATCH", "/api/v1/items/{item}", SQUAD_EDITORS, lambda w: {"cluster_ids": [w.cluster]}
    ),
    # Back-office of squads and accounts (teams/): creating squads, members and accounts is for admins only.
    "squad_admin.squads_page": route("GET", "/agents/startups", {"admin"}),
    "squad_admin.new_squad": route("GET", "/agents/startups/nouvelle", {"admin"}),
    "squad_admin.create_squad": route(
        "POST", "/agents/startups", {"admin"}, lambda w: {"name": "Permis de conduire", "administration": "ants"}
    ),
    "squad_admin.squad_sheet": route("GET", "/agents/equipes/{squad_a_slug}/fiche", SQUAD_EDITORS),
    "squad_admin.edit_squad": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/fiche",
        SQUAD_EDITORS,
        lambda w: {"name": "Rendez-vous préfecture", "mission": "Des rendez-vous pour tous."},
    ),
    "squad_admin.change_phase": route(
        "POST", "/agents/equipes/{squad_a_slug}/phase", SQUAD_EDITORS, lambda w: {"phase": "construction"}
    ),
    "squad_admin.add_member": route(
        "POST", "/agents/equipes/{squad_a_slug}/membres", {"admin"}, lambda w: {"email": w.target_email}
    ),
    "squad_admin.remove_member": route("POST", "/agents/equipes/{squad_a_slug}/membres/{member}/retrait", {"admin"}),
    "accounts.accounts_page": route("GET", "/agents/comptes", {"admin"}),
    "accounts.new_account": route("GET", "/agents/comptes/nouveau", {"admin"}),
    "accounts.create_account": route(
        "POST", "/agents/comptes", {"admin"}, lambda w: {"email": "nouvel.agent@beta.gouv.fr", "roles": "manager"}
    ),
    "accounts.account_page": route("GET", "/agents/comptes/{target_user}", {"admin"}),
    "accounts.edit_account": route("POST", "/agents/comptes/{target_user}", {"admin"}, lambda w: {"roles": "admin"}),
    "accounts.deactivate_account": route("POST", "/agents/comptes/{target_user}/desactivation", {"admin"}),
    "accounts.reactivate_account": route("POST", "/agents/comptes/{target_user}/reactivation", {"admin"}),
    "accounts.reset_password": route("POST", "/agents/comptes/{target_user}/mot-de-passe", {"admin"}),
    "accounts.revoke_token": route("POST", "/agents/comptes/{target_user}/jetons/{target_token}/revocation", {"admin"}),
    # A squad's webhooks: its product owners and admins only, reads included (a receiver's URL is often a secret).
    "team_webhooks.webhooks_page": route("GET", "/agents/equipes/{squad_a_slug}/webhooks", SQUAD_EDITORS),
    "team_webhooks.create_webhook": route(
        "POST",
        "/agents/equipes/{squad_a_slug}/webhooks",
        SQUAD_EDITORS,
        lambda w: {"url": "https://suivi.exemple.fr/hook", "events": "item.state_changed"},
    ),
    "team_webhooks.webhook_page": route("GET", "/agents/equipes/{squad_a_slug}/webhooks/{webhook}", SQUAD_EDITORS),
    "team_webhooks.rotate_secret": route(
        "POST", "/agents/equipes/{squad_a_slug}/webhooks/{webhook}/secret", SQUAD_EDITORS
    ),
    "team_webhooks.set_active": route(
        "POST", "/agents/equipes/{squad_a_slug}/webhooks/{webhook}/activation", SQUAD_EDITORS, lambda w: {"active": "0"}
    ),
    "team_webhooks.delete_webhook": route(
        "POST", "/agents/equipes/{squad_a_slug}/webhooks/{webhook}/suppression", SQUAD_EDITORS
    ),
    "api_webhooks.list_webhooks": route("GET", "/api/v1/squads/{squad_a_slug}/webhooks", SQUAD_EDITORS),
    "api_webhooks.create_webhook": route(
        "POST",
        "/api/v1/squads/{squad_a_slug}/webhooks",
        SQUAD_EDITORS,
        lambda w: {"url": "https://suivi.exemple.fr/hook", "events": ["item.state_changed"]},
    ),
    "api_webhooks.get_webhook": route("GET", "/api/v1/squads/{squad_a_slug}/webhooks/{webhook}", SQUAD_EDITORS),
    "api_webhooks.edit_webhook": route(
        "PATCH", "/api/v1/squads/{squad_a_slug}/webhooks/{webhook}", SQUAD_EDITORS, lambda w: {"active": False}
    ),
    "api_webhooks.delete_webhook": route("DELETE", "/api/v1/squads/{squad_a_slug}/webhooks/{webhook}", SQUAD_EDITORS),
    "api_webhooks.rotate_secret": route(
        "POST", "/api/v1/squads/{squad_a_slug}/webhooks/{webhook}/secret", SQUAD_EDITORS
    ),
    "exports.page": route("GET", "/agents/exports", EXPORTERS),
    "exports.download": route("GET", "/agents/exports/fichier?what=reports&format=csv", EXPORTERS),
    "exports.request_export": route(
        "POST", "/agents/exports", EXPORTERS, lambda w: {"what": "irritants", "format": "xlsx", "administration": "caf"}
    ),
    # The manager's own file, and admins'; anyone else gets 404 (another agent's export is not theirs to know of).
    "exports.background_file": route("GET", "/agents/exports/{export}/fichier", EXPORTERS),
    "api_webhooks.list_deliveries": route(
        "GET", "/api/v1/squads/{squad_a_slug}/webhooks/{webhook}/deliveries", SQUAD_EDITORS
    ),
    # Re-clustering every report reshapes every squad's irritants: administrators only.
    "backoffice.recluster": route("POST", "/agents/regroupements", {"admin"}),
    "backoffice.recluster_page": route("GET", "/agents/regroupements/{recluster_job}", {"admin"}),
    "api_triage.recluster.start_recluster": route("POST", "/api/v1/triage/recluster", {"admin"}),
    "api_triage.recluster.recluster_status": route("GET", "/api/v1/triage/recluster/{recluster_job}", {"admin"}),
}
ROUTES["backoffice.answer"] = route(
    "POST",
    "/agents/irritants/{cluster}/reponse",
    {"admin", "correspondant"},
    lambda w: {"texte": "La CAF ouvre des créneaux supplémentaires dès le mois prochain."},
)
ROUTES["api_answers.publish"] = route(
    "POST",
    "/api/v1/clusters/{cluster}/answers",
    {"admin", "correspondant"},
    lambda w: {"text": "La CAF ouvre des créneaux supplémentaires dès le mois prochain."},
)
# A correspondant reads what a manager reads (narrowed to their administration: tests/web/test_correspondants.py), and
# decides nothing. A background export's file is its requester's (the world's manager) and admins': 404 to others.
OWN_FILES = {"exports.background_file"}
ROUTES = {
    endpoint: replace(spec, allowed=spec.allowed | {"correspondant"})
    if "manager" in spec.allowed and endpoint not in OWN_FILES
    else spec
    for endpoint, spec in ROUTES.items()
}
# Public or sign-in machinery: open to anyone by design, covered by their own tests.
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.login_post",
    "auth.logout",
    "auth.proconnect_start",
    "auth.proconnect_callback",
    "auth.proconnect_logged_out",
    "auth.forgot_password",
    "auth.forgot_password_post",
    "auth.reset_password_page",
    "auth.reset_password",
    "notifications.unsubscribe_page",
    "notifications.unsubscribe",
    "irritants.flag",
}
BACK_OFFICE_PREFIXES = (
    "/agents",
    "/api/v1/clusters/<int:cluster_id>/answers",
    "/api/v1/triage",
    "/api/v1/moderation",
    "/api/v1/me",
    "/api/v1/squads",
    "/api/v1/sprints",
    "/api/v1/items",
)


@dataclass
class Principal:
    user: User
    token: str  # the agent's own API token, in clear
    token_id: int


def build_world(app) -> tuple[World, dict[str, Principal]]:
    with app.app_context(), get_db(app).session_scope() as s:
        squad_a, squad_b = make_squad(s, "Rendez-vous préfecture"), make_squad(s, "Aides au logement")
        users = {
            "no_role": make_user(s),
            "po": make_user(s, "product_owner", squads=[squad_a]),
            "po_other_squad": make_user(s, "product_owner", squads=[squad_b]),
            "squad_member": make_user(s, "squad_member", squads=[squad_a]),
            "manager": make_user(s, "manager"),
            "admin": make_user(s, "admin"),
            "token_other_squad": make_user(s, "squad_member", squads=[squad_b]),
            "correspondant": make_user(s, "correspondant"),
        }
        users["correspondant"].administration_id = s.scalar(
            select(Administration.id).where(Administration.slug == "caf")
        )
        for user in users.values():
            user.password_hash = PASSWORD_HASH
        cluster = make_cluster(s, "Rendez-vous introuvables en préfecture", squad_id=squad_a.id, status="planned")
        free = make_cluster(s, "Formulaire qui refuse un IBAN valide", reports=2)
        duplicate = make_cluster(s, "Aucun créneau de rendez-vous", reports=2, squad_id=squad_a.id)
        held = make_report(s, cluster=cluster, moderation=Moderation.PENDING, moderation_reasons=["telephone"])
        s.add(  # its author left an address: agents who may ask them a question can
            ReportContact(
                report_id=held.id, email="auteur@example.org", email_hmac="0" * 64, consent_at=utcnow(),
                purge_after=utcnow() + dt.timedelta(days=365),
            )
        )  # fmt: skip
        admin = Agent(users["admin"].id, users["admin"].email, frozenset({"admin"}))
        triage.merge(s, admin, cluster.id, [duplicate.id], ranking=RANKING)
        template = ReplyTemplate(title="Accusé", body="Nous avons bien reçu.", squad_id=squad_a.id)
        s.add(template)
        tokens = {name: create_token(s, user, "outil") for name, user in users.items()}
        target = make_user(s, "manager", email="cible@beta.gouv.fr")
        target_token, _raw = create_token(s, target, "tableur")
        start = dt.date(2026, 12, 7)
        sprint = create_sprint(s, None, squad_a.id, starts_on=start, ends_on=start + dt.timedelta(days=11))
        item = create_item(s, None, squad_a.id, title="Créneaux du samedi", points=3, sprint_id=sprint.id)
        create_item(s, None, squad_a.id, title="Annulation en ligne")
        backlog_item = create_item(s, None, squad_a.id, title="Confirmation par courriel")
        linked_item = create_item(s, None, squad_a.id, title="File d'attente", cluster_ids=[cluster.id])
        hook = {"url": "https://outil.exemple.fr/irritants", "events": ["irritant.status_changed"]}
        webhook = webhooks.register(s, settings_of(app).webhooks, None, squad_a.id, hook).endpoint
        export = ready_export(app, s, users["manager"].id)
        recluster_job = BackgroundJob(
            kind="recluster", state=JobState.DONE, payload={}, attempts=1, max_attempts=3, result={"reports": 0},
            created_by_id=users["admin"].id,
        )  # fmt: skip
        s.add(recluster_job)
        s.commit()
        world = World(
            squad_a=squad_a.id,
            squad_b=squad_b.id,
            squad_a_slug=squad_a.slug,
            cluster=cluster.id,
            version=s.get(Cluster, cluster.id).version,
            free=free.id,
            duplicate=duplicate.id,
            report=held.id,
            template=template.id,
            own_token=0,
            sprint=sprint.id,
            item=item.id,
            backlog_item=backlog_item.id,
            linked_item=linked_item.id,
            member=users["squad_member"].id,
            target_user=target.id,
            target_email=target.email,
            target_token=target_token.id,
            webhook=webhook.id,
            export=export,
            recluster_job=recluster_job.id,
        )
        principals = {name: Principal(user, tokens[name][1], tokens[name][0].id) for name, user in users.items()}
    return world, principals


def ready_export(app, s, user_id: int) -> int:
    """A background export of ``user_id``, ready, with its file in the app's exports folder."""
    directory = settings_of(app).exports.directory
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "matrice.csv").write_bytes("\ufeffid\r\n".encode())
    export = ExportRequest(
        requested_by_id=user_id, what="reports", format="csv", filters={}, state=ExportState.READY, rows=0,
        file_name="matrice.csv", expires_at=utcnow() + dt.timedelta(days=1),
    )  # fmt: skip
    s.add(export)
    s.flush()
    return export.id


SNAPSHOT_QUERIES = {
    "clusters": "SELECT id, status, version, squad_id, pinned, label, label_locked, duplicate_of_id, routed_to, size "
    "FROM clusters",
    "reports": "SELECT id, cluster_id, status, moderation, cluster_locked, abuse_flags FROM reports",
    "supports": "SELECT id, cluster_id FROM supports",
    "events": "SELECT id FROM events",
    "messages": "SELECT id FROM report_messages",
    "templates": "SELECT id, title, body, squad_id FROM reply_templates",
    "tokens": "SELECT id, revoked_at FROM api_tokens",
    "users": "SELECT id, email, roles, active, session_epoch, password_hash, administration_id FROM users",
    "answers": "SELECT id, cluster_id, administration_id, text, version FROM administration_answers",
    "squads": "SELECT id, name, phase, version, mission, administration_id, incubator, product_url FROM squads",
    "phases": "SELECT id, squad_id, phase, started_on, note FROM squad_phase_changes",
    "members": "SELECT squad_id, user_id FROM squad_members",
    "dismissed": "SELECT low_id, high_id FROM dismissed_pairs",
    "sprints": "SELECT id, squad_id, number, starts_on, ends_on, goal, review_notes, state, version FROM sprints",
    "items": "SELECT id, squad_id, title, points, state, rank, sprint_id, version FROM backlog_items",
    "item_links": "SELECT item_id, cluster_id FROM backlog_item_clusters",
    "item_changes": "SELECT id FROM backlog_item_changes",
    "webhooks": "SELECT id, url, events, active, secret_prefix FROM webhook_endpoints",
    "exports": "SELECT id, state, file_name FROM export_requests",
    "jobs": "SELECT id, state FROM background_jobs",
}


def snapshot(app) -> dict[str, list[tuple[Any, ...]]]:
    with get_db(app).engine.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(text(sql)).all()), key=repr) for name, sql in SNAPSHOT_QUERIES.items()
        }


def full_state(app) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what decides whether the next case may start from the same world."""
    with get_db(app).engine.connect() as conn:
        return {
            table.name: sorted(map(tuple, conn.execute(table.select()).all()), key=repr)
            for table in Base.metadata.sorted_tables
        }


class Worlds:
    """The module's world, built again only when the database is no longer as the last build left it.

    Most cases are refused or read: they leave every row as it was, so the next case gets the database a fresh
    build would give (compared on every row of every table before it is handed out) without paying for the build.
    An allowed write, a ``prepare``, or another test's cleanup makes the next case build it again.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.built: tuple[World, dict[str, Principal]] | None = None
        self.state: dict[str, list[tuple[Any, ...]]] | None = None

    def get(self) -> tuple[World, dict[str, Principal]]:
        if self.built is None or full_state(self.app) != self.state:
            clean_database(self.app)
            self.built = build_world(self.app)
            self.state = full_state(self.app)
        world, principals = self.built
        return replace(world), principals  # a case sets its own ``own_token``


#: Where each route's cases run: the test module ``test_<part>.py`` of this folder, by blueprint or API resource.
PARTS = {
    "accounts": ("auth", "notifications", "accounts", "exports", "/api/v1/me"),
    "triage_pages": ("backoffice", "moderation", "dashboard"),
    "triage_api": ("/api/v1/triage", "/api/v1/moderation", "/api/v1/clusters"),
    "team_pages": ("board", "team_items", "team_sprints", "backlog_file"),
    "squad_settings": ("squad_admin", "team_webhooks"),
    "squads_api": ("/api/v1/squads", "/api/v1/sprints", "/api/v1/items"),
}


def part_of(endpoint: str) -> str | None:
    """The part whose module runs this route's cases (None: a route no part claims, which test_matrix.py refuses)."""
    spec = ROUTES[endpoint]
    key = "/".join(spec.path.split("/")[:4]) if spec.api else endpoint.split(".")[0]
    return next((part for part, keys in PARTS.items() if key in keys), None)


def cases(part: str) -> list[tuple[str, str]]:
    """The (endpoint, caller) pairs of a part. Tokens are tried on the HTML pages too: they must open none of them
    (403), whatever the role behind them."""
    return [(endpoint, who) for endpoint in ROUTES if part_of(endpoint) == part for who in PRINCIPALS]


def check_route(matrix_app, matrix_world: tuple[World, dict[str, Principal]], endpoint: str, who: str) -> None:
    """One case: ``who`` calls ``endpoint`` in the world as ``build_world`` left it."""
    spec = ROUTES[endpoint]
    world, principals = matrix_world
    client = matrix_app.test_client()
    headers: dict[str, str] = {}
    if who == "token_other_squad":
        headers["Authorization"] = f"Bearer {principals[who].token}"
    elif who != "anonymous":
        sign_in(client, principals[who].user)
    if who in principals:
        world.own_token = principals[who].token_id
    path = spec.path.format(**vars(world))
    body = spec.body(world) if spec.body else {}
    if spec.prepare:
        spec.prepare(matrix_app, world)
    before = snapshot(matrix_app)
    if spec.api:
        response = client.open(path, method=spec.method, json=body if spec.method != "GET" else None, headers=headers)
    else:
        response = client.open(path, method=spec.method, data=body if spec.method != "GET" else None, headers=headers)

    if who in spec.allowed:
        assert response.status_code < 400, (response.status_code, response.get_data(as_text=True)[:500])
        return
    if who == "anonymous":
        expected = {401} if spec.api else {302}
        if not spec.api:
            assert "/agents/connexion" in response.headers["Location"]
    else:
        expected = {403, 404}
    assert response.status_code in expected, (response.status_code, response.get_data(as_text=True)[:500])
    if spec.api:
        assert response.mimetype == "application/problem+json"
    assert snapshot(matrix_app) == before, "a refused call changed the database"
