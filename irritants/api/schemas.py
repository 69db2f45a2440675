"""Schemas of the API: reference resources, and what query schemas share."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from irritants.db import get_session
from irritants.referential.services import administration_exists


class KnownAdministrationMixin(ma.Schema):
    """Filters whose ``administration`` must exist: an unknown one comes in the same 422 as the other errors."""

    @ma.validates_schema(skip_on_field_errors=False)
    def _known_administration(self, data: dict[str, Any], **_: Any) -> None:
        slug = data.get("administration")
        if isinstance(slug, str) and slug and not administration_exists(get_session(), slug):
            raise ma.ValidationError("Administration inconnue.", "administration")


class ProcedureOutSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()


class AdministrationOutSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    acronym = ma.fields.String(allow_none=True)
    procedures = ma.fields.List(ma.fields.Nested(ProcedureOutSchema))


class TerritoryOutSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Code INSEE du département"})
    name = ma.fields.String()
    region_code = ma.fields.String()
    region_name = ma.fields.String()


class ChannelOutSchema(ma.Schema):
    code = ma.fields.String()
    label = ma.fields.String()
