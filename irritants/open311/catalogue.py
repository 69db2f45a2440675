"""Open311 services: what a citizen can report, as the form offers it (docs/open311.md, « Services »).

One service per administration (``caf``: any démarche, or none, the démarche then given as the ``demarche``
attribute) and one per administration and démarche (``caf:demande-rsa``). ``:`` cannot appear in a slug, so a code
always reads back one way. Each definition's attributes carry what the form asks beyond Open311's standard fields:
département, channel, severity, démarche, date and assistance, with their value lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from irritants.errors import NotFoundError
from irritants.intake.models import SEVERITY_LABELS
from irritants.referential import services as referential
from irritants.referential.models import Administration, Procedure

SEPARATOR = ":"


@dataclass(frozen=True)
class Service:
    """One Open311 service: an administration, and perhaps one of its démarches."""

    administration: Administration
    procedure: Procedure | None = None

    @property
    def code(self) -> str:
        return service_code(self.administration.slug, self.procedure.slug if self.procedure else None)

    @property
    def name(self) -> str:
        short = self.administration.acronym or self.administration.name
        return f"{short} — {self.procedure.name}" if self.procedure else f"{short} — autre démarche"

    def as_open311(self) -> dict[str, Any]:
        """The service as ``GET services`` lists it."""
        admin = self.administration
        if self.procedure:
            description = (
                f"Un blocage rencontré auprès de l’organisme « {admin.name} » "
                f"lors de la démarche « {self.procedure.name} »."
            )
        else:
            description = (
                f"Un blocage rencontré auprès de l’organisme « {admin.name} », quelle que soit la démarche "
                "(attribut « demarche » facultatif)."
            )
        keywords = [admin.name, *([admin.acronym] if admin.acronym else []), admin.slug]
        if self.procedure:
            keywords.append(self.procedure.name)
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": description,
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(keywords),
            "group": admin.name,
        }


def service_code(administration: str, procedure: str | None = None) -> str:
    """``caf`` or ``caf:demande-rsa``."""
    return f"{administration}{SEPARATOR}{procedure}" if procedure else administration


def list_services(session: Session) -> list[Service]:
    """Every service, by administration then démarche (active ones only, as the form lists them)."""
    out: list[Service] = []
    for admin in referential.list_administrations(session):
        out.append(Service(admin))
        out.extend(Service(admin, p) for p in sorted(admin.procedures, key=lambda p: p.name) if p.active)
    return out


def service_by_code(session: Session, code: str | None) -> Service:
    """The service of ``code``, or NotFoundError (404, as the specification asks)."""
    admin_slug, _, procedure_slug = (code or "").strip().partition(SEPARATOR)
    admin = referential.administration_by_slug(session, admin_slug) if admin_slug else None
    if admin is not None and admin.active:
        if not procedure_slug:
            return Service(admin)
        for procedure in admin.procedures:
            if procedure.slug == procedure_slug and procedure.active:
                return Service(admin, procedure)
    raise NotFoundError(f"service_code inconnu : « {code} » (voir services.xml).")


def _attribute(
    code: str,
    description: str,
    order: int,
    *,
    required: bool,
    values: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": "singlevaluelist" if values is not None else extra.get("datatype", "string"),
        "required": required,
        "datatype_description": extra.get("datatype_description"),
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in values or []],
    }


def definition(session: Session, service: Service) -> dict[str, Any]:
    """``GET services/{code}``: the attributes the form asks for beyond the standard fields."""
    territories = [(t.code, f"{t.code} — {t.name}") for t in referential.list_territories(session)]
    channels = [(c.code, c.label) for c in referential.list_channels(session)]
    attributes = [
        _attribute(
            "departement",
            "Département concerné (code INSEE). Facultatif si l'adresse (address_string ou address_id) contient un "
            "code postal, ou si lat et long sont donnés.",
            1,
            required=False,
            values=territories,
        ),
        _attribute("channel", "Canal utilisé pour la démarche.", 2, required=True, values=channels),
        _attribute(
            "severity",
            "Gravité pour la personne.",
            3,
            required=True,
            values=[(s.value, label) for s, label in SEVERITY_LABELS.items()],
        ),
    ]
    if service.procedure is None:
        procedures = sorted((p for p in service.administration.procedures if p.active), key=lambda p: p.name)
        attributes.append(
            _attribute(
                "demarche",
                "Démarche concernée (facultatif).",
                4,
                required=False,
                values=[(p.slug, p.name) for p in procedures],
            )
        )
    attributes += [
        _attribute(
            "occurred_on",
            "Date à laquelle c'est arrivé (facultatif, pas dans le futur).",
            5,
            required=False,
            datatype="string",
            datatype_description="Date AAAA-MM-JJ",
        ),
        _attribute(
            "assisted",
            "Signalement fait avec l'aide d'un conseiller France Services (facultatif).",
            6,
            required=False,
            values=[("true", "Oui"), ("false", "Non")],
        ),
    ]
    return {"service_code": service.code, "attributes": attributes}
