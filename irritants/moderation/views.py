"""Moderation queue of the back-office (``/agents/moderation``); citizens flag excerpts from the public pages
(``irritants/public/irritants.py``)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from irritants.auth.access import require
from irritants.auth.policy import Action
from irritants.db import get_session
from irritants.errors import ValidationFailed
from irritants.intake.models import Moderation
from irritants.intake.redaction import segments
from irritants.moderation import masking
from irritants.moderation import services as moderation
from irritants.moderation.schemas import ModerationDecisionSchema

bp = Blueprint("moderation", __name__)

PAGE_SIZE = 20
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000

_DONE = {
    moderation.Decision.PUBLISH: "Signalement publié : son texte apparaît désormais, anonymisé, sur les pages "
    "publiques.",
    moderation.Decision.REJECT: "Signalement rejeté : son texte ne sera pas publié. Il reste compté dans son irritant.",
}


def _page() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


@bp.get("/agents/moderation")
def queue() -> Any:
    """Reports held for moderation, oldest first, raw text with the detected personal data highlighted."""
    agent = require(Action.MODERATE)
    page = _page()
    listed = moderation.pending_reports(get_session(), agent, page=page, page_size=PAGE_SIZE)
    rows = [
        {
            "report": report,
            "segments": segments(report.description),
            "reasons": moderation.reason_labels(report.moderation_reasons),
        }
        for report in listed.items
    ]
    response = current_app.make_response(
        render_template(
            "moderation/queue.html",
            rows=rows,
            total=listed.total,
            page=page,
            pages=listed.pages,
            kind_labels=moderation.REASON_LABELS,
            reason_max=moderation.REASON_MAX_LENGTH,
        )
    )
    # Raw texts may hold personal data: never kept by a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/agents/moderation/<int:report_id>")
def decide(report_id: int) -> Any:
    """« Publier » (masking the passages listed, if any) or « Rejeter » a held report (the form carries the state it
    was shown in)."""
    agent = require(Action.MODERATE)
    db = get_session()
    form = request.form
    report_id = min(report_id, MAX_ID)
    masks: list[str] = []
    try:
        data = _load_decision(form)
        masks = masking.parse_passages(data["mask"])
        decision = moderation.Decision(data["decision"])
        reason = (data["reason"] or "").strip() or None
        moderation.decide(
            db, agent, report_id, decision, expected=Moderation(data["expected"]), reason=reason, masks=masks
        )
        db.commit()
    except moderation.AlreadyDecided as err:
        db.rollback()
        flash(err.detail, "warning")
    except ValidationFailed as err:
        db.rollback()
        if "mask" in (err.errors or {}):
            # The passages typed are not lost: the preview page shows them again with what is wrong.
            return _preview_page(report_id, form.get("mask", ""), err, status=422)
        flash(" ".join(m for messages in err.errors.values() for m in messages) or err.detail, "error")
    else:
        flash(_DONE[decision] if not masks else _masked_done(len(masks)), "success")
    return redirect(url_for("moderation.queue", page=_form_page()), code=303)


def _load_decision(form: Any) -> dict[str, Any]:
    """The posted form, read by the decision's one schema (shared with the API)."""
    try:
        return ModerationDecisionSchema().load(form)
    except ma.ValidationError as err:
        raise ValidationFailed("Certains champs sont invalides.", errors=err.normalized_messages()) from err


@bp.post("/agents/moderation/<int:report_id>/apercu")
def preview(report_id: int) -> Any:
    """« Prévisualiser » a report with the passages listed masked: the text the public would see; nothing written."""
    return _preview_page(min(report_id, MAX_ID), request.form.get("mask", ""))


def _preview_page(report_id: int, typed: str, failure: ValidationFailed | None = None, status: int = 200) -> Any:
    agent = require(Action.MODERATE)
    report = moderation.report_to_moderate(get_session(), agent, report_id)
    text = None
    if failure is None:
        try:
            text = moderation.published_text(report, masking.parse_passages(typed))
        except ValidationFailed as err:
            failure, status = err, 422
    html = render_template(
        "moderation/preview.html",
        report=report,
        segments=segments(report.description),
        reasons=moderation.reason_labels(report.moderation_reasons),
        kind_labels=moderation.REASON_LABELS,
        preview=text,
        typed=typed,
        errors=dict(failure.errors or {"mask": [failure.detail]}) if failure else {},
        page=_form_page(),
        reason=(request.form.get("reason") or "")[: moderation.REASON_MAX_LENGTH],
        reason_max=moderation.REASON_MAX_LENGTH,
    )
    return html, status


def _form_page() -> int | None:
    page = min(max(request.form.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    return page if page > 1 else None


def _masked_done(count: int) -> str:
    passages = "passage masqué" if count == 1 else "passages masqués"
    return (
        f"Signalement publié avec {count} {passages} : chaque occurrence est remplacée par « [masqué] » sur les "
        "pages publiques. Le texte d’origine n’est gardé que le temps de la durée de conservation."
    )
