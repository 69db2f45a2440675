"""A squad's backlog as a CSV file, from its page: the export (``backlog.csv``) and the import, always simulated first.

The same file and the same checks as ``irritants backlog export|import`` (``squads.backlog_csv``). Every agent with a
role downloads the file, as they read the board; the import is for those who work the squad's items
(``Action.WORK_ITEMS``: managers get 403), and a file that links items to irritants also needs
``Action.MANAGE_SPRINTS`` (its product owners, admins), as in the command. Sending a file shows the plan (or every
problem with its line and column) and writes nothing; the plan carries the file back, base64 in a hidden field (no
browser rewrites its line breaks), with a fingerprint of the plan: applying reads and checks the file again in full,
and shows the new plan instead when the backlog changed since the simulation (409, nothing written).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from irritants.auth.policy import Action, Agent, decide
from irritants.db import get_session
from irritants.french import plural, today
from irritants.inputs import accepts_upload
from irritants.squads.models import Squad
from irritants.teams import acting
from irritants.triage import services as triage

if TYPE_CHECKING:  # pandas comes with the pages that use it
    from irritants.squads.backlog_csv import ImportResult

bp = Blueprint("backlog_file", __name__, url_prefix="/agents/equipes/<slug>")

FILE_MAX_BYTES = 1024 * 1024
FILE_MAX_TEXT = "1 Mo"
# The whole request: the file, or the file in base64 (4/3) in a form, with room for the form's other fields.
BODY_MAX_BYTES = 2 * FILE_MAX_BYTES
COLUMN_LABELS = {
    "id": "identifiant", "title": "titre", "description": "description", "points": "points", "state": "état",
    "sprint": "sprint", "rank": "rang", "irritants": "irritants", "-": "fichier",
}  # fmt: skip


class Refused(Exception):
    """The file itself cannot be taken (none, too big, not base64): said on the file field."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def required_actions(result: ImportResult) -> tuple[Action, ...]:
    """What the policy must allow for this file: working the items, and linking irritants if the file does."""
    links = any("irritants" in changed for changed in result.updated.values()) or any(n.linked for n in result.created)
    return (Action.WORK_ITEMS, *((Action.MANAGE_SPRINTS,) if links else ()))


def fingerprint(result: ImportResult) -> str:
    """A short digest of the plan: what was shown is what gets applied."""
    plan = ([(n.line, n.title) for n in result.created], sorted(result.updated.items()), result.unchanged)
    return hashlib.sha256(repr(plan).encode()).hexdigest()[:32]


def _known(ids: set[int]) -> dict[int, str]:
    return triage.link_problems(get_session(), ids)


@bp.get("/backlog.csv")
def export(slug: str) -> Any:
    """The squad's items as the command writes them (UTF-8 with BOM, « ; », CRLF), to download."""
    _agent, squad = acting.squad_for(slug)
    from irritants.squads import backlog_csv

    data = backlog_csv.export_csv(get_session(), squad.id)
    name = f"backlog-{squad.slug}-{today().isoformat()}.csv"
    response = Response(data, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(squad: Squad, status: int = 200, **context: Any) -> Any:
    context.setdefault("file_error", None)
    context.setdefault("result", None)
    html = render_template(
        "teams/backlog_import.html", squad=squad, columns=COLUMN_LABELS, file_max=FILE_MAX_TEXT, **context
    )
    return html, status


@bp.get("/import")
def import_page(slug: str) -> Any:
    """The columns of the file explained, and the form that sends one (simulation first)."""
    _agent, squad = acting.squad_for(slug, Action.WORK_ITEMS)
    return _render(squad)


def _uploaded() -> bytes:
    upload = request.files.get("fichier")
    if upload is None or not upload.filename:
        raise Refused("Choisissez le fichier CSV à importer.")
    data = upload.stream.read(FILE_MAX_BYTES + 1)
    if len(data) > FILE_MAX_BYTES:
        raise Refused(f"Le fichier dépasse {FILE_MAX_TEXT} : découpez-le ou retirez des descriptions.", 413)
    if not data.strip():
        raise Refused("Le fichier est vide : la première ligne doit nommer les colonnes.")
    return data


def _carried() -> bytes:
    text = request.form.get("contenu", "")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data or len(data) > FILE_MAX_BYTES:
        raise Refused("Le fichier simulé n'a pas été transmis en entier : envoyez-le à nouveau.")
    return data


def _plan(agent: Agent, squad: Squad, data: bytes) -> tuple[ImportResult, Any]:
    """The simulated import, and the page that refuses it (the file's problems, or what the policy says) or None."""
    from irritants.squads import backlog_csv

    result = backlog_csv.import_csv(get_session(), agent, squad.id, data, known=_known, dry_run=True)
    if result.errors:
        return result, _render(squad, 422, result=result)
    for action in required_actions(result):
        decision = decide(agent, action, squad)
        if not decision:
            refusal = (
                "Ce fichier lie des éléments à des irritants : seuls les responsables produit de la start-up d’État "
                "(et les administrateurs) peuvent le faire. Retirez la colonne « irritants » ou ses changements."
            )
            return result, _render(squad, 403, result=result, refusal=refusal)
    return result, None


def _simulated(slug: str, read: Any) -> tuple[Agent, Squad, bytes, ImportResult | None, Any]:
    """The agent, the squad, the file ``read`` gives, its simulated import, and the page refusing it (or None)."""
    agent, squad = acting.squad_for(slug, Action.WORK_ITEMS)
    try:
        data = read()
    except Refused as refused:
        return agent, squad, b"", None, _render(squad, refused.status, file_error=refused.message)
    result, refused_page = _plan(agent, squad, data)
    return agent, squad, data, result, refused_page


@bp.post("/import")
@accepts_upload(BODY_MAX_BYTES)
def simulate(slug: str) -> Any:
    """Check the whole file and show what it would change; nothing is written."""
    _agent, squad, data, result, refused_page = _simulated(slug, _uploaded)
    if refused_page is not None or result is None:
        return refused_page
    return _render(squad, result=result, content=base64.b64encode(data).decode("ascii"), plan=fingerprint(result))


@bp.post("/import/application")
@accepts_upload(BODY_MAX_BYTES)
def apply(slug: str) -> Any:
    """« Appliquer ces changements »: the carried file checked again in full, then written, then the squad's page."""
    agent, squad, data, result, refused_page = _simulated(slug, _carried)
    if refused_page is not None or result is None:
        return refused_page
    if request.form.get("plan", fingerprint(result)) != fingerprint(result):
        content = base64.b64encode(data).decode("ascii")
        return _render(squad, 409, result=result, content=content, plan=fingerprint(result), changed=True)
    from irritants.squads import backlog_csv

    db = get_session()
    written = backlog_csv.import_csv(db, agent, squad.id, data, known=_known)
    db.commit()
    created, updated = len(written.created), len(written.updated)
    flash(f"Import du fichier : {plural(created, 'élément créé', 'éléments créés')}, "
          f"{plural(updated, 'modifié', 'modifiés')}.", "success")  # fmt: skip
    return redirect(url_for("board.squad_page", slug=squad.slug, _anchor="messages"), 303)
