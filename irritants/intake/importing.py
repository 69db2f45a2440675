"""CSV import of reports (e.g. a Services Publics+ export): validate every row, then load all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.intake.bulk import ReferenceMaps, fold
from irritants.intake.models import Report, Severity
from irritants.intake.schemas import ReportCreateSchema
from irritants.sanitize import forbidden_character

# Column names of a Services Publics+ experiences export (and common variants), by target field.
DEFAULT_COLUMNS: dict[str, list[str]] = {
    "external_id": ["id", "identifiant", "reference"],
    "title": ["title", "titre"],
    "description": ["description", "texte", "experience"],
    "administration": ["structure", "administration", "organisme"],
    "procedure": ["procedure", "demarche", "démarche"],
    "territory": ["departement", "département", "department", "code_departement", "territory"],
    "channel": ["canal", "channel"],
    "typology": ["typology", "typologie"],
    "feeling": ["feeling", "ressenti"],
    "severity": ["severity", "gravite", "gravité"],
    "occurred_on": ["date", "date_experience", "occurred_on"],
    "email": ["email", "courriel"],
}

# Services Publics+ asks citizens how they felt; a negative feeling is at least lost time.
FEELING_SEVERITY = {"negatif": Severity.PERTE_DE_TEMPS, "neutre": Severity.GENE, "positif": Severity.GENE}
_CHANNEL_ALIASES = {
    "internet": "en_ligne",
    "en ligne": "en_ligne",
    "site": "en_ligne",
    "application": "en_ligne",
    "telephone": "telephone",
    "tel": "telephone",
    "guichet": "guichet",
    "accueil": "guichet",
    "courrier": "courrier",
    "email": "email",
    "courriel": "email",
    "mail": "email",
    "france services": "france_services",
}


@dataclass
class RowError:
    """One refused row: CSV line number (header is line 1), field and reason."""

    line: int
    field: str
    reason: str


@dataclass
class ImportPlan:
    """What an import would do: valid rows to insert, rows already imported, and errors."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    already_imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def read_csv(path: Path, *, delimiter: str | None = None, encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Read every cell as text (no type guessing: codes like 01 and 2A must survive)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, sep=delimiter, engine="python", encoding=encoding)


def resolve_columns(frame: pd.DataFrame, mapping: dict[str, str]) -> dict[str, str]:
    """Map target fields to the file's columns: explicit mapping first, then known names."""
    folded = {fold(c): c for c in frame.columns}
    resolved: dict[str, str] = {}
    for target, column in mapping.items():
        if column not in frame.columns:
            raise ValueError(f"colonne « {column} » absente du fichier (colonnes : {', '.join(frame.columns)})")
        resolved[target] = column
    for target, candidates in DEFAULT_COLUMNS.items():
        if target in resolved:
            continue
        for candidate in candidates:
            if fold(candidate) in folded:
                resolved[target] = folded[fold(candidate)]
                break
    if "description" not in resolved:
        raise ValueError("aucune colonne de description trouvée : utilisez --map description=NOM_DE_COLONNE")
    return resolved


def plan_import(
    session: Session,
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    defaults: dict[str, str],
    source_name: str,
    progress: Any = None,
) -> ImportPlan:
    """Validate every row with the same schema as the form and API; nothing is written."""
    maps = ReferenceMaps.load(session)
    schema = ReportCreateSchema()
    plan = ImportPlan(total=len(frame))
    seen: set[str] = set()
    existing = set(session.scalars(select(Report.external_key).where(Report.external_key.is_not(None))))
    for index, record in enumerate(frame.to_dict(orient="records")):
        line = index + 2
        raw = {target: (record.get(col) or "").strip() for target, col in columns.items()}
        key = _external_key(source_name, raw)
        if progress is not None:
            progress.update(1)
        if key in existing or key in seen:
            plan.already_imported += 1
            continue
        seen.add(key)
        refused = {name: char for name, value in raw.items() if (char := forbidden_character(value))}
        if refused:
            # Checked on every column, the file's own id included: PostgreSQL text cannot hold NUL.
            plan.errors.extend(
                RowError(line, name, f"caractère non autorisé (U+{ord(char):04X})") for name, char in refused.items()
            )
            continue
        payload, row_errors = _to_payload(raw, defaults, maps)
        try:
            data = schema.load(payload)
        except ValidationError as err:
            already = {name for name, _ in row_errors}
            row_errors.extend(e for e in _flatten(err.messages) if e[0] not in already)
            data = None
        if (
            data is not None
            and data.get("procedure")
            and ((maps.administrations[data["administration"]], data["procedure"]) not in maps.procedures)
        ):
            row_errors.append(("procedure", "démarche inconnue pour cette administration"))
        if row_errors:
            plan.errors.extend(RowError(line, f, r) for f, r in row_errors)
            continue
        assert data is not None
        data["external_key"] = key
        plan.rows.append(data)
    return plan


def _external_key(source_name: str, raw: dict[str, str]) -> str:
    if raw.get("external_id"):
        return f"import:{source_name}:{raw['external_id']}"[:200]
    content = "\x1f".join(f"{k}={raw[k]}" for k in sorted(raw))
    return f"import:sha256:{hashlib.sha256(content.encode()).hexdigest()}"


def _to_payload(
    raw: dict[str, str], defaults: dict[str, str], maps: ReferenceMaps
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    title, text = raw.get("title", ""), raw.get("description", "")
    description = f"{title}\n\n{text}" if title and text and not text.startswith(title) else (text or title)
    admin_raw = raw.get("administration") or defaults.get("administration", "")
    admin = maps.admin_aliases.get(fold(admin_raw)) if admin_raw else None
    if admin_raw and admin is None:
        errors.append(("administration", f"administration inconnue : « {admin_raw} »"))
    channel_raw = raw.get("channel") or defaults.get("channel", "")
    channel = _CHANNEL_ALIASES.get(fold(channel_raw), fold(channel_raw).replace(" ", "_")) if channel_raw else ""
    if channel and channel not in maps.channels:
        errors.append(("channel", f"canal inconnu : « {channel_raw} »"))
    territory = (raw.get("territory") or defaults.get("territory", "")).upper()
    if len(territory) == 1 and territory.isdigit():
        territory = f"0{territory}"
    severity = raw.get("severity") or ""
    if not severity:
        severity = FEELING_SEVERITY.get(fold(raw.get("feeling", "")), defaults.get("severity", "gene"))
    procedure = raw.get("procedure") or None
    payload = {
        "description": description,
        "administration": admin or (None if errors else admin_raw or None),
        "procedure": fold(procedure).replace(" ", "-") if procedure else None,
        "territory": territory or None,
        "channel": channel or None,
        "severity": str(severity),
        "occurred_on": _date(raw.get("occurred_on")),
        "email": raw.get("email") or None,
        "contact_consent": bool(raw.get("email")),
    }
    if errors:
        # Reference errors are reported once; the schema then checks the rest.
        for name, _ in errors:
            payload.pop(name, None)
    return payload, errors


def _date(value: str | None) -> str | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return dt.datetime.strptime(value[:19], fmt).date().isoformat()
        except ValueError:
            continue
    return value  # the schema reports it in French


def _flatten(messages: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = "ligne" if key == "_schema" else str(key)
            for message in value if isinstance(value, list) else [value]:
                out.append((name, str(message)))
    return out
