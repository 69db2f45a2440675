"""Schemas of the API's reference resources."""

from __future__ import annotations

import marshmallow as ma


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
