"""``/open311/v2/``: Open311 GeoReport v2 (docs/open311.md). Views parse, call the services, commit, render."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, current_app, request, url_for
from marshmallow import ValidationError

from irritants.db import get_session
from irritants.errors import IrritantsError
from irritants.extensions import limiter, partner_submit_limit, read_limit
from irritants.intake.accept import accept_report, report_schema
from irritants.intake.models import Source
from irritants.open311 import catalogue, queries
from irritants.open311.rendering import render
from irritants.open311.submission import BadRequest, as_open311_errors, idempotency_key, optional, read_request
from irritants.partners import services as partners
from irritants.people import person_key
from irritants.settings import settings_of
from irritants.tokens import hash_token

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)  # when this door last changed what it answers
FMT = "<any(xml, json):fmt>"
_REFERENCE = re.compile(r"^[A-Z0-9-]{1,16}$")


class Forbidden(IrritantsError):
    status, slug, title = 403, "forbidden", "Clé d'API manquante ou invalide"


def _cached(response: Any, seconds: int = 60) -> Any:
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


@bp.get(f"/discovery.{FMT}")
@limiter.limit(read_limit)
def discovery(fmt: str) -> Any:
    """Service discovery: who to contact, how to get a key, the endpoint and its formats."""
    settings = settings_of(current_app).open311
    endpoint = {
        "specification": SPECIFICATION,
        "url": url_for("open311.discovery", fmt="xml", _external=True).rsplit("/", 1)[0],
        "changeset": CHANGESET,
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    payload = {
        "changeset": CHANGESET,
        "contact": settings.contact,
        "key_service": settings.key_service,
        "endpoints": [endpoint],
    }
    return _cached(render(fmt, "discovery", payload), 3600)


@bp.get(f"/services.{FMT}")
@limiter.limit(read_limit)
def services(fmt: str) -> Any:
    """Every service (administration, or administration and démarche)."""
    items = [service.as_open311() for service in catalogue.list_services(get_session())]
    return _cached(render(fmt, "services", items), 300)


@bp.get(f"/services/<string:service_code>.{FMT}")
@limiter.limit(read_limit)
def service_definition(service_code: str, fmt: str) -> Any:
    """A service's definition: its attributes, datatypes, value lists, order, whether required."""
    db = get_session()
    service = catalogue.service_by_code(db, service_code)
    return _cached(render(fmt, "service_definition", catalogue.definition(db, service)), 300)


@bp.post(f"/requests.{FMT}")
@limiter.limit(partner_submit_limit, key_func=lambda: "partner:" + hash_token(request.form.get("api_key") or ""))
@limiter.shared_limit(read_limit, scope="open311-posts")
def create_request(fmt: str) -> Any:
    """Create a report exactly as the form does: same schema, screening, clustering and idempotency."""
    db = get_session()
    partner = partners.partner_by_key(db, optional(request.form, "api_key"))
    if partner is None:
        raise Forbidden("api_key manquante ou invalide : la création d'une demande exige la clé d'un partenaire.")
    code = optional(request.form, "service_code")
    if code is None:
        raise BadRequest("service_code manquant (voir services.xml).")
    service = catalogue.service_by_code(db, code)
    incoming = read_request(request.form, service)
    try:
        data = report_schema().load(incoming.data)
    except ValidationError as err:
        raise as_open311_errors(err.messages) from err
    key = idempotency_key(partner.id, request.headers.get("Idempotency-Key"), request.form)
    who = f"open311:{partner.id}:{incoming.identity}" if incoming.identity else None
    secret = current_app.config["SECRET_KEY"]
    submission = accept_report(
        data, source=Source.OPEN311, idempotency_key=key, person_key=person_key(secret, who) if who else None
    )
    token = partners.token_for(db, partner, submission.report_id)
    db.commit()
    answer = {
        "service_request_id": submission.reference,
        "service_notice": queries.SERVICE_NOTICE,
        "account_id": optional(request.form, "account_id"),
    }
    headers = {"Cache-Control": "no-store", "X-Open311-Token": token}
    if not submission.created:
        headers["Idempotent-Replayed"] = "true"
    # 200 either way: the specification names no other success status, and clients check for it.
    return render(fmt, "service_requests", [answer], headers=headers)


def _datetime(name: str) -> dt.datetime | None:
    raw = optional(request.args, name)
    if raw is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError as err:
        raise BadRequest(f"{name} invalide : date ISO 8601 attendue, par exemple 2026-12-01T00:00:00Z.") from err
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _positive(name: str, default: int, maximum: int) -> int:
    raw = optional(request.args, name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise BadRequest(f"{name} invalide : un entier de 1 à {maximum} est attendu.")
    return int(raw)


def _list(name: str) -> list[str]:
    raw = ",".join(request.args.getlist(name))
    return [item.strip() for item in raw.split(",") if item.strip()]


def _filters() -> queries.RequestFilters:
    page = _positive("page", 1, 1_000_000)
    page_size = _positive("page_size", queries.MAX_RESULTS, queries.MAX_RESULTS)
    references = [ref.upper() for ref in _list("service_request_id")]
    if references:
        if len(references) > queries.MAX_RESULTS:
            raise BadRequest(f"service_request_id : au plus {queries.MAX_RESULTS} références à la fois.")
        if not all(_REFERENCE.match(ref) for ref in references):
            raise BadRequest(
                "service_request_id invalide : des références comme K7M-2QX-9PA, séparées par des virgules."
            )
        # The specification: a list of ids overrides every other filter.
        return queries.RequestFilters(references=references, page=page, page_size=page_size)
    statuses = [status.lower() for status in _list("status")]
    if any(status not in ("open", "closed") for status in statuses):
        raise BadRequest("status invalide : open, closed, ou les deux séparés par une virgule.")
    start, end = _datetime("start_date"), _datetime("end_date")
    if start is not None and end is not None:
        if end < start:
            raise BadRequest("end_date est avant start_date.")
        if end - start > queries.SPAN:
            raise BadRequest("La période demandée (start_date à end_date) ne peut dépasser 90 jours.")
    return queries.RequestFilters(
        service_codes=_list("service_code"),
        start=start,
        end=end,
        statuses=statuses,
        page=page,
        page_size=page_size,
    )


def _extensions() -> bool:
    return (optional(request.args, "extensions") or "").lower() == "true"


@bp.get(f"/requests.{FMT}")
@limiter.limit(read_limit)
def list_requests(fmt: str) -> Any:
    """Published reports as service requests: by ids, or by service, dates and status (90 days, 1,000 at most)."""
    db = get_session()
    rows = queries.find_requests(db, _filters())
    extensions = _extensions()
    items = [queries.as_open311(db, row, extensions=extensions) for row in rows]
    return _cached(render(fmt, "service_requests", items))


@bp.get(f"/requests/<string:service_request_id>.{FMT}")
@limiter.limit(read_limit)
def get_request(service_request_id: str, fmt: str) -> Any:
    """One published service request, by its public reference."""
    db = get_session()
    row = queries.request_by_reference(db, service_request_id)
    return _cached(render(fmt, "service_requests", [queries.as_open311(db, row, extensions=_extensions())]))


@bp.get(f"/tokens/<string:token>.{FMT}")
@limiter.limit(read_limit)
def get_token(token: str, fmt: str) -> Any:
    """The service_request_id an Open311 token (given on creation) leads to."""
    db = get_session()
    reference = queries.reference_of_token(db, token)
    return render(fmt, "service_requests", [{"service_request_id": reference, "token": token}])
