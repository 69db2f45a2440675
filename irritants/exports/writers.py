"""The three file formats of an export, written chunk by chunk from pandas DataFrames (no Flask, no SQL).

- CSV: UTF-8 with a byte-order mark, ``;`` between cells, CRLF between rows, a decimal comma: what Excel opens as
  is in France, like the backlog's file (``squads/backlog_csv.py``). Dates in ISO 8601 (``2026-12-04``,
  ``2026-12-04T09:15:00+01:00``, Paris time), booleans ``oui``/``non``. A text cell starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return (or their full-width forms) gets a leading ``'`` (OWASP's rule against
  formula injection): a spreadsheet shows it as text and never runs it.
- XLSX (xlsxwriter, rows flushed as written): text cells are written as strings, never as formulas, links or
  numbers, whatever they start with; dates as dates (Paris time), numbers as numbers.
- Parquet (pyarrow, one row group per chunk): typed columns, timestamps in Europe/Paris.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import pandas as pd

from irritants.sanitize import neutralise

PARIS_TZ = "Europe/Paris"
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


class Format(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"


MEDIA_TYPES: dict[Format, str] = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.PARQUET: "application/vnd.apache.parquet",
}


class Kind(enum.Enum):
    INT = "int"
    FLOAT = "float"
    TEXT = "text"
    BOOL = "bool"
    DATETIME = "datetime"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    """A column of an export: its name (the file's header) and its kind of value."""

    name: str
    kind: Kind


def frame(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Rows (dicts by column name) as a DataFrame with one dtype per kind, in the columns' order."""
    data: dict[str, Any] = {}
    for column in columns:
        values = [row.get(column.name) for row in rows]
        if column.kind == Kind.INT:
            data[column.name] = pd.array(values, dtype="Int64")
        elif column.kind == Kind.FLOAT:
            data[column.name] = pd.array([_finite(v) for v in values], dtype="Float64")
        elif column.kind == Kind.BOOL:
            data[column.name] = pd.array(values, dtype="boolean")
        elif column.kind == Kind.DATETIME:
            data[column.name] = pd.to_datetime(pd.Series(values, dtype=object), utc=True).dt.tz_convert(PARIS_TZ)
        else:  # text and dates stay Python objects (None when missing)
            data[column.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# --- CSV -----------------------------------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str | dt.date) and bool(pd.isna(value))) or value is pd.NaT


def _csv_cell(kind: Kind, value: Any) -> Any:
    if _missing(value):
        return None
    if kind == Kind.TEXT:
        return neutralise(str(value))
    if kind == Kind.BOOL:
        return "oui" if value else "non"
    if kind == Kind.DATETIME:
        return pd.Timestamp(value).isoformat(timespec="seconds")
    if kind == Kind.DATE:
        return value.isoformat()
    if kind == Kind.FLOAT:
        return repr(float(value)).replace(".", ",")  # the decimal comma Excel reads in France
    return int(value)


def csv_chunks(columns: Sequence[Column], frames: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    """The CSV file, one piece per frame (the first one with the mark and the header)."""
    header = pd.DataFrame(columns=[c.name for c in columns])
    yield ("\ufeff" + header.to_csv(sep=";", index=False, lineterminator="\r\n")).encode("utf-8")
    for chunk in frames:
        shown = pd.DataFrame(
            {c.name: pd.Series([_csv_cell(c.kind, v) for v in chunk[c.name]], dtype=object) for c in columns}
        )
        yield shown.to_csv(sep=";", index=False, header=False, lineterminator="\r\n").encode("utf-8")


# --- XLSX ----------------------------------------------------------------------------------------------------------


def write_xlsx(columns: Sequence[Column], frames: Iterable[pd.DataFrame], out: IO[bytes], *, sheet: str) -> int:
    """The XLSX workbook into ``out`` (a file or a buffer); returns the rows written."""
    import xlsxwriter

    options = {
        "constant_memory": True,  # each row goes to disk once the next one starts
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "remove_timezone": True,
        "in_memory": False,
    }
    workbook = xlsxwriter.Workbook(out, options)
    sheet_ = workbook.add_worksheet(sheet)
    bold = workbook.add_format({"bold": True})
    formats = {
        Kind.DATETIME: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        Kind.DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
    }
    for j, column in enumerate(columns):
        sheet_.write_string(0, j, column.name, bold)
    row = 0
    for chunk in frames:
        records = chunk[[c.name for c in columns]].itertuples(index=False, name=None)
        for values in records:
            row += 1
            if row > XLSX_MAX_ROWS:
                raise ValueError("Trop de lignes pour un classeur XLSX : choisissez CSV ou Parquet.")
            for j, (column, value) in enumerate(zip(columns, values, strict=True)):
                _xlsx_cell(sheet_, row, j, column.kind, value, formats)
    sheet_.freeze_panes(1, 0)
    workbook.close()
    return row


def _xlsx_cell(sheet: Any, row: int, col: int, kind: Kind, value: Any, formats: dict[Kind, Any]) -> None:
    if _missing(value):
        return
    if kind == Kind.TEXT:
        sheet.write_string(row, col, str(value))  # a string cell: never a formula, whatever it starts with
    elif kind == Kind.BOOL:
        sheet.write_boolean(row, col, bool(value))
    elif kind in (Kind.INT, Kind.FLOAT):
        sheet.write_number(row, col, float(value))
    elif kind == Kind.DATETIME:
        local = pd.Timestamp(value).tz_convert(PARIS_TZ).to_pydatetime().replace(tzinfo=None)
        sheet.write_datetime(row, col, local, formats[Kind.DATETIME])
    else:
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats[Kind.DATE])


# --- Parquet -------------------------------------------------------------------------------------------------------


def parquet_schema(columns: Sequence[Column]) -> Any:
    import pyarrow as pa

    types = {
        Kind.INT: pa.int64(),
        Kind.FLOAT: pa.float64(),
        Kind.TEXT: pa.string(),
        Kind.BOOL: pa.bool_(),
        Kind.DATETIME: pa.timestamp("us", tz=PARIS_TZ),
        Kind.DATE: pa.date32(),
    }
    return pa.schema([pa.field(c.name, types[c.kind]) for c in columns])


def write_parquet(columns: Sequence[Column], frames: Iterable[pd.DataFrame], out: IO[bytes]) -> int:
    """The Parquet file into ``out``, one row group per frame; returns the rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(columns)
    rows = 0
    with pq.ParquetWriter(out, schema) as writer:
        for chunk in frames:
            arrays = [
                pa.array([None if _missing(v) else v for v in chunk[c.name]], type=schema.field(c.name).type)
                for c in columns
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += len(chunk)
    return rows


def write(fmt: Format, columns: Sequence[Column], frames: Iterable[pd.DataFrame], out: IO[bytes], *, sheet: str) -> int:
    """The file of ``fmt`` into ``out``; returns the rows written."""
    if fmt == Format.XLSX:
        return write_xlsx(columns, frames, out, sheet=sheet)
    if fmt == Format.PARQUET:
        return write_parquet(columns, frames, out)
    rows = 0

    def counted() -> Iterator[pd.DataFrame]:
        nonlocal rows
        for chunk in frames:
            rows += len(chunk)
            yield chunk

    for piece in csv_chunks(columns, counted()):
        out.write(piece)
    return rows


def to_bytes(fmt: Format, columns: Sequence[Column], frames: Iterable[pd.DataFrame], *, sheet: str) -> bytes:
    """The whole file in memory (tests, small files)."""
    buffer = io.BytesIO()
    write(fmt, columns, frames, buffer, sheet=sheet)
    return buffer.getvalue()
