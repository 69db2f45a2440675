"""The open dataset as files: the same bytes for the ``opendata`` command and the download addresses.

CSV files in UTF-8 (no byte-order mark), comma-separated, one header line, ``\\n`` line ends, ISO 8601 dates, numbers
with a decimal point, an empty cell for a missing value; JSON files indented, keys in a fixed order, UTF-8 kept as
is. Building reads the database through GROUP BY queries (``dataset.py``) and is deterministic for a given day.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.opendata import dataset, schemas
from irritants.referential.models import Channel
from irritants.settings import FixEffectSettings

#: Every file of the dataset, in the order the documentation lists them: name → media type.
FILES: dict[str, str] = {
    "datapackage.json": "application/json",
    "irritants.csv": "text/csv; charset=utf-8",
    "schema-irritants.json": "application/json",
    "signalements.csv": "text/csv; charset=utf-8",
    "schema-signalements.json": "application/json",
}


@dataclass(frozen=True)
class Dataset:
    """The files of one build, by name, and the day they describe."""

    day: dt.date
    files: dict[str, bytes]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_csv(rows: Iterable[Any], columns: Sequence[str]) -> bytes:
    """Dataclass rows as CSV bytes, columns in the schema's order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = dataclasses.asdict(row)
        writer.writerow([_cell(values[column]) for column in columns])
    return out.getvalue().encode("utf-8")


def to_json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _columns(schema: dict[str, Any]) -> list[str]:
    return [field["name"] for field in schema["fields"]]


def build(session: Session, settings: FixEffectSettings, *, today: dt.date, public_url: str | None) -> Dataset:
    """Every file of the dataset as of ``today`` (a Paris day)."""
    channels = dict(session.execute(select(Channel.code, Channel.label).order_by(Channel.position, Channel.code)).all())
    irritants_schema = schemas.irritants_schema()
    signalements_schema = schemas.signalements_schema(channels)
    files = {
        "datapackage.json": to_json(schemas.datapackage(today, public_url)),
        "irritants.csv": to_csv(dataset.irritant_rows(session, settings, today), _columns(irritants_schema)),
        "schema-irritants.json": to_json(irritants_schema),
        "signalements.csv": to_csv(dataset.week_rows(session, today), _columns(signalements_schema)),
        "schema-signalements.json": to_json(signalements_schema),
    }
    return Dataset(today, files)


def write(found: Dataset, directory: Path) -> list[Path]:
    """Write the files into ``directory`` (created if needed), each through a temporary name then renamed, so a
    reader of the directory never sees half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in found.files.items():
        target = directory / name
        partial = directory / f".{name}.partial"
        partial.write_bytes(content)
        partial.replace(target)
        written.append(target)
    return written
