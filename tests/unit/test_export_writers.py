"""The export formats, written from small hand-built DataFrames and read back with the readers analysts use."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pyarrow.parquet as pq
import pytest

from irritants.exports.writers import Column, Format, Kind, frame, neutralise, to_bytes

HOSTILE = ['=HYPERLINK("http://pirate.example/x","cliquez")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1",
           "\r=1", "\uff1d1+1", "Texte ordinaire, = au milieu"]  # fmt: skip
COLUMNS = (
    Column("id", Kind.INT), Column("texte", Kind.TEXT), Column("score", Kind.FLOAT), Column("assiste", Kind.BOOL),
    Column("cree_le", Kind.DATETIME), Column("jour", Kind.DATE),
)  # fmt: skip
WHEN = dt.datetime(2026, 12, 4, 8, 15, tzinfo=dt.UTC)  # 9 h 15 in Paris


def rows() -> list[dict]:
    return [
        {"id": i, "texte": text, "score": 1.5 * i, "assiste": i % 2 == 0, "cree_le": WHEN, "jour": dt.date(2026, 12, 1)}
        for i, text in enumerate(HOSTILE)
    ] + [{"id": 99, "texte": None, "score": None, "assiste": None, "cree_le": None, "jour": None}]


def frames():
    data = rows()
    return [frame(COLUMNS, data[:3]), frame(COLUMNS, data[3:])]


@pytest.mark.parametrize("text", HOSTILE[:-1])
def test_a_cell_that_starts_like_a_formula_gets_a_leading_apostrophe(text):
    assert neutralise(text) == f"'{text}"


def test_other_cells_are_left_as_they_are():
    assert neutralise("Texte ordinaire, = au milieu") == "Texte ordinaire, = au milieu"
    assert neutralise("'=déjà protégé") == "'=déjà protégé"
    assert neutralise(-3) == -3  # a number is never a formula


def test_csv_is_excel_friendly_and_neutralises_every_formula():
    data = to_bytes(Format.CSV, COLUMNS, frames(), sheet="x")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    read = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert [r["id"] for r in read] == [str(i) for i in range(len(HOSTILE))] + ["99"]
    for row, original in zip(read, HOSTILE, strict=False):
        cell = row["texte"]
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d")), cell
        assert cell in (original, f"'{original}")
    assert read[1]["score"] == "1,5"  # the decimal comma
    assert read[0]["assiste"] == "oui" and read[1]["assiste"] == "non"
    assert read[0]["cree_le"] == "2026-12-04T09:15:00+01:00"
    assert read[0]["jour"] == "2026-12-01"
    assert read[-1] == {"id": "99", "texte": "", "score": "", "assiste": "", "cree_le": "", "jour": ""}


def test_an_empty_csv_still_has_its_header():
    assert to_bytes(Format.CSV, COLUMNS, [], sheet="x").decode("utf-8-sig") == "id;texte;score;assiste;cree_le;jour\r\n"


def test_xlsx_cells_are_strings_never_formulas():
    data = to_bytes(Format.XLSX, COLUMNS, frames(), sheet="Signalements")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula element at all
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Signalements"
    header = [c.value for c in sheet[1]]
    assert header == [c.name for c in COLUMNS]
    texts = [sheet.cell(row=i + 2, column=2) for i in range(len(HOSTILE))]
    # Kept as written, shown as text (a carriage return is stored escaped, as the format wants).
    assert [c.value.replace("_x000D_", "\r") for c in texts] == HOSTILE
    assert {c.data_type for c in texts} == {"s"}
    assert sheet.cell(row=3, column=3).value == 1.5
    assert sheet.cell(row=2, column=4).value is True
    assert sheet.cell(row=2, column=5).value == dt.datetime(2026, 12, 4, 9, 15)  # Paris time
    assert sheet.cell(row=2 + len(HOSTILE), column=2).value is None


def test_parquet_keeps_the_types():
    table = pq.read_table(io.BytesIO(to_bytes(Format.PARQUET, COLUMNS, frames(), sheet="x")))
    assert table.num_rows == len(HOSTILE) + 1
    assert str(table.schema.field("id").type) == "int64"
    assert str(table.schema.field("cree_le").type) == "timestamp[us, tz=Europe/Paris]"
    assert str(table.schema.field("jour").type) == "date32[day]"
    values = table.to_pydict()
    assert values["texte"][: len(HOSTILE)] == HOSTILE
    assert values["assiste"][0] is True and values["assiste"][-1] is None
    assert values["cree_le"][0] == WHEN
    assert values["score"][-1] is None
