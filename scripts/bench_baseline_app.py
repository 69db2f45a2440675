"""Minimal "validate and insert one row" endpoint: the reference point of ``scripts/bench_intake.py``.

It uses the same stack as the real intake — Flask, a marshmallow schema with the same field types and
validators as a report, and an engine from :func:`irritants.db.make_engine` (so on SQLite: WAL,
``synchronous=FULL``, ``BEGIN IMMEDIATE``) — but nothing else: no ORM, no reference lookups, no
idempotency, no security headers. Each ``POST /reports`` validates the JSON body, inserts one row into
``bench_baseline_rows`` and commits before answering 201, which is the durability the intake promises.

Served by gunicorn from the repository root::

    IRRITANTS_DATABASE_URL=sqlite:////tmp/bench.sqlite3 python -m gunicorn scripts.bench_baseline_app:app

It is a benchmark fixture: it creates its table at import if missing, and must never be deployed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

from flask import Flask, jsonify, request
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates
from sqlalchemy import Boolean, Column, Date, DateTime, Engine, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.exc import DatabaseError

from irritants.db import make_engine

DESCRIPTION_MIN = 20
DESCRIPTION_MAX = 4000
SEVERITIES = ("gene", "perte_de_temps", "blocage", "rupture_de_droits")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_TERRITORY = re.compile(r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-46])$")

metadata = MetaData()
rows = Table(
    "bench_baseline_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("description", Text, nullable=False),
    Column("administration", String(80), nullable=False),
    Column("procedure", String(80)),
    Column("territory", String(3), nullable=False),
    Column("channel", String(80), nullable=False),
    Column("severity", String(30), nullable=False),
    Column("occurred_on", Date),
    Column("assisted", Boolean, nullable=False),
)


def _clean_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARS.sub("", value).strip()


class BaselineReportSchema(Schema):
    """The fields of a report, with the same kinds of checks as the intake schema."""

    description = fields.String(required=True)
    administration = fields.String(required=True, validate=validate.Regexp(_SLUG))
    procedure = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(_SLUG))
    territory = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.Regexp(_SLUG))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    occurred_on = fields.Date(load_default=None, allow_none=True)
    assisted = fields.Boolean(load_default=False)

    @validates("description")
    def _check_description(self, value: str, **_: Any) -> None:
        if not DESCRIPTION_MIN <= len(_clean_text(value)) <= DESCRIPTION_MAX:
            raise ValidationError(f"Between {DESCRIPTION_MIN} and {DESCRIPTION_MAX} characters.")

    @validates("territory")
    def _check_territory(self, value: str, **_: Any) -> None:
        if not _TERRITORY.match(value.strip().upper()):
            raise ValidationError("Unknown territory code.")

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["description"] = _clean_text(data["description"])
        data["territory"] = data["territory"].strip().upper()
        return data


def ensure_table(engine: Engine) -> None:
    """Create ``bench_baseline_rows`` if missing; tolerate a concurrent worker doing the same."""
    try:
        metadata.create_all(engine, checkfirst=True)
    except DatabaseError:
        # Another worker created it between the check and the CREATE.
        metadata.create_all(engine, checkfirst=True)


def create_baseline_app(database_url: str) -> Flask:
    """The baseline app bound to ``database_url``."""
    flask_app = Flask(__name__)
    engine = make_engine(database_url)
    ensure_table(engine)
    schema = BaselineReportSchema()

    @flask_app.post("/reports")
    def create_row() -> Any:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return jsonify(error="a JSON object is expected"), 400
        try:
            data = schema.load(payload)
        except ValidationError as exc:
            return jsonify(errors=exc.messages), 422
        created_at = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:  # BEGIN IMMEDIATE on SQLite; COMMIT (fsync) before the answer
            row_id = conn.execute(insert(rows).values(created_at=created_at, **data).returning(rows.c.id)).scalar_one()
        return jsonify(id=row_id, created_at=created_at.isoformat()), 201

    @flask_app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    return flask_app


def _database_url() -> str:
    url = os.environ.get("IRRITANTS_DATABASE_URL")
    if not url:
        raise RuntimeError("IRRITANTS_DATABASE_URL must name the database the baseline writes to.")
    return url


app = create_baseline_app(_database_url())
