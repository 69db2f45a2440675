"""Reading the API's own OpenAPI document in tests: the document as a client fetches it, and a schema with its
references followed."""

from __future__ import annotations

from typing import Any

from flask import Flask


def spec_of(app: Flask) -> dict[str, Any]:
    """The OpenAPI document ``/api/v1/openapi.json`` of ``app``."""
    return app.test_client().get("/api/v1/openapi.json").get_json()


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref`` followed to the component it names (again, until none is left)."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema
