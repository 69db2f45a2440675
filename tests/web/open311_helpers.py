"""Builders shared by the Open311 tests: a partner's key, a valid Open311 form, XML and JSON readers."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from flask import Flask

from irritants.db import get_db
from irritants.partners import services as partners

BASE = "/open311/v2"


def new_partner(app: Flask, name: str = "Ville de Lille") -> str:
    """A partner's API key (committed)."""
    with app.app_context(), get_db(app).session_scope() as s:
        key = partners.create_partner(s, name).key
        s.commit()
    return key


def open311_form(key: str | None, **overrides: Any) -> dict[str, Any]:
    """A valid POST requests form for the CAF service, located by a postcode in Lille (59)."""
    form: dict[str, Any] = {
        "service_code": "caf",
        "description": "Mon dossier de RSA est bloqué depuis trois mois et personne ne répond au téléphone.",
        "address_string": "12 rue Nationale, 59000 Lille",
        "attribute[channel]": "telephone",
        "attribute[severity]": "rupture_de_droits",
    }
    if key is not None:
        form["api_key"] = key
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def xml(response: Any) -> ET.Element:
    """The XML body, checked to be the specification's: UTF-8 text/xml with its declaration."""
    assert response.mimetype == "text/xml"
    assert response.mimetype_params.get("charset", "").lower() == "utf-8"
    raw = response.get_data()
    assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(raw)


def json_body(response: Any) -> Any:
    assert response.mimetype == "application/json"
    return response.get_json()


def children(element: ET.Element) -> dict[str, str | None]:
    """The text of each direct child, by tag."""
    return {child.tag: child.text for child in element}
