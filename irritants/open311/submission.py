"""``POST requests``: an Open311 form (standard fields and ``attribute[code]``) read into what the report form sends,
then handed to intake's one submit path (docs/open311.md, « Creating a request »)."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from irritants.errors import IrritantsError, ValidationFailed
from irritants.open311.catalogue import Service
from irritants.referential import geography

ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_-]{1,40})\](\[\])?$")
_IDEMPOTENCY_HEADER = re.compile(r"^[\x21-\x7e]{1,200}$")
ATTRIBUTE_CODES = ("departement", "channel", "severity", "demarche", "occurred_on", "assisted")
# Where each field of the report form comes from in an Open311 request: refusals name the Open311 field.
OPEN311_NAMES = {
    "description": "description",
    "territory": "attribute[departement]",
    "channel": "attribute[channel]",
    "severity": "attribute[severity]",
    "procedure": "attribute[demarche]",
    "occurred_on": "attribute[occurred_on]",
    "assisted": "attribute[assisted]",
    "administration": "service_code",
}
# Standard fields that are read (the others — email, names, phone, media_url — are not stored: no consent is asked
# and irritants keeps the minimum about citizens).
_IDENTITY_FIELDS = ("device_id", "account_id")


class BadRequest(IrritantsError):
    """An Open311 request that cannot be fulfilled as sent (the specification's 400)."""

    status, slug, title = 400, "bad-request", "Requête invalide"


@dataclass(frozen=True)
class Incoming:
    """An Open311 request as the report form would have sent it, with who sent it (for « the same person »)."""

    data: dict[str, Any]
    identity: str | None


def optional(form: MultiDict[str, str], name: str) -> str | None:
    """A parameter, or None when missing or empty (the specification: an empty optional parameter is a missing one)."""
    value = form.get(name)
    return value.strip() if value is not None and value.strip() else None


def attributes(form: MultiDict[str, str]) -> dict[str, str]:
    """``attribute[code]=value`` pairs (the first value of a list), empty ones left out; unknown codes refused."""
    found: dict[str, str] = {}
    unknown: list[str] = []
    for key in form:
        match = ATTRIBUTE.match(key)
        if key.startswith("attribute") and match is None:
            unknown.append(key)
            continue
        if match is None:
            continue
        code, value = match.group(1), (form.getlist(key) or [""])[0].strip()
        if code not in ATTRIBUTE_CODES:
            unknown.append(key)
        elif value:
            found[code] = value
    if unknown:
        names = ", ".join(sorted(unknown))
        raise BadRequest(f"Attribut inconnu : {names} (voir la définition du service, services/{{service_code}}.xml).")
    return found


def _coordinate(form: MultiDict[str, str], name: str, bound: float) -> float | None:
    raw = optional(form, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        raise BadRequest(f"{name} invalide : un nombre décimal WGS84 est attendu (reçu « {raw[:40]} »).")
    return value


def departement(form: MultiDict[str, str], found: dict[str, str]) -> str:
    """``attribute[departement]``, else the postcode in ``address_string`` or ``address_id``, else ``lat``/``long``
    through the départements' boundaries; else 400."""
    if "departement" in found:
        return found["departement"]
    for name in ("address_string", "address_id"):
        text = optional(form, name)
        code = geography.departement_of_postcode(text) if text else None
        if code:
            return code
    lat, lon = _coordinate(form, "lat", 90.0), _coordinate(form, "long", 180.0)
    if (lat is None) != (lon is None):
        raise BadRequest("lat et long vont ensemble : envoyez les deux, ou ni l'un ni l'autre.")
    if lat is not None and lon is not None:
        code = geography.departement_at(lat, lon)
        if code:
            return code
        raise BadRequest(
            "Ce point (lat, long) n'est dans aucun département français : précisez attribute[departement] "
            "ou un code postal dans address_string."
        )
    raise BadRequest(
        "Département introuvable : donnez attribute[departement] (code INSEE), un code postal français dans "
        "address_string ou address_id, ou lat et long."
    )


def read_request(form: MultiDict[str, str], service: Service) -> Incoming:
    """The report form's fields from an Open311 request, département located (BadRequest when it cannot be)."""
    found = attributes(form)
    data: dict[str, Any] = {
        "description": form.get("description", ""),
        "administration": service.administration.slug,
        "procedure": service.procedure.slug if service.procedure else found.get("demarche"),
        "territory": departement(form, found),
        "channel": found.get("channel"),
        "severity": found.get("severity"),
        "occurred_on": found.get("occurred_on"),
        "assisted": found.get("assisted", False),
    }
    identity = next((value for name in _IDENTITY_FIELDS if (value := optional(form, name))), None)
    return Incoming(data, identity)


def as_open311_errors(messages: Any) -> ValidationFailed:
    """The report schema's refusals, each field named as the Open311 client sent it."""
    named = (
        {OPEN311_NAMES.get(key, key): value for key, value in messages.items()} if isinstance(messages, dict) else {}
    )
    return ValidationFailed("Certains champs sont invalides.", errors=named)


def request_digest(form: MultiDict[str, str]) -> str:
    """What makes two posts the same request: every parameter but the key, in order (a client's retry)."""
    items = sorted((key, value) for key, values in form.lists() if key != "api_key" for value in values)
    return hashlib.sha256(repr(items).encode()).hexdigest()


def idempotency_key(partner_id: int, header: str | None, form: MultiDict[str, str]) -> str:
    """The report's idempotency key: the partner and its ``Idempotency-Key`` header, else the digest of its request."""
    if header is not None and not _IDEMPOTENCY_HEADER.match(header):
        raise BadRequest("Idempotency-Key : 1 à 200 caractères ASCII imprimables, sans espace.")
    own = hashlib.sha256(header.encode()).hexdigest() if header is not None else request_digest(form)
    return f"open311:{partner_id}:{own}"
