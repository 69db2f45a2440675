"""Text hygiene: the defensive JSON parse, refused characters, cleaned free text, one-line log values."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irritants.sanitize import (
    MAX_JSON_DEPTH,
    MAX_JSON_INTEGER,
    JsonRefused,
    clean_line,
    clean_text,
    escape_for_log,
    forbidden_character,
    parse_json,
)


def refused(raw: str | bytes) -> JsonRefused:
    with pytest.raises(JsonRefused) as caught:
        parse_json(raw.encode() if isinstance(raw, str) else raw)
    return caught.value


def test_depth_is_bounded_before_parsing():
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(ok.encode()) is not None
    assert refused("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).status == 400
    assert refused('{"a":' * 100_000).status == 400  # never reaches the recursive parser


def test_brackets_inside_strings_do_not_count_as_depth():
    text = json.dumps({"a": "[[[[" * 100 + '\\"{{{' * 100})
    assert parse_json(text.encode()) == json.loads(text)


def test_integers_are_bounded_to_what_every_json_reader_holds():
    assert parse_json(str(MAX_JSON_INTEGER).encode()) == MAX_JSON_INTEGER
    assert parse_json(str(-MAX_JSON_INTEGER).encode()) == -MAX_JSON_INTEGER
    assert list(refused(str(MAX_JSON_INTEGER + 1)).errors) == ["_schema"]  # the body itself: pointer "#"
    assert refused(f'{{"n": {MAX_JSON_INTEGER + 1}}}').errors["n"][0].startswith("Nombre hors limites")
    assert refused('{"n": ' + "7" * 100_000 + "}").status == 422


def test_every_refused_value_is_reported_by_path():
    problem = refused('{"a": ["ok", "x\\u0000"], "b": {"c": "\\ud800", "d": 1e400}, "e\\u0001": 1}')
    assert problem.status == 422
    assert set(problem.errors) == {"a", "b", "e"}
    assert set(problem.errors["a"]) == {"1"} and set(problem.errors["b"]) == {"c", "d"}


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"t": "é" * 500 + "\u0000"}),  # among escapes of ordinary letters
        json.dumps({"t": "é" * 500 + "\x85"}, ensure_ascii=False),  # C1 as is, no escape at all
        json.dumps({"t": "ok\x7f"}, ensure_ascii=False),
    ],
)
def test_refused_characters_are_found_escaped_or_not(raw):
    assert refused(raw).errors["t"][0].startswith("Caractère non autorisé")


def test_ordinary_bodies_pass_untouched():
    body = {"t": "é\tà\n" * 300, "n": [1, -2.5, MAX_JSON_INTEGER], "x": None}
    for ensure_ascii in (True, False):
        assert parse_json(json.dumps(body, ensure_ascii=ensure_ascii).encode()) == body


@pytest.mark.parametrize("raw", [b"\xc3\x28", b"{", b"NaN", b"[Infinity]", b"", b"\xef\xbb\xbf{}"])
def test_unreadable_json_is_a_400(raw):
    assert refused(raw).status == 400


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\ud800", "\udfff"])
def test_control_characters_and_lone_surrogates_are_forbidden(char):
    assert forbidden_character(f"abc{char}def") == char


@pytest.mark.parametrize("text", ["tab\there", "line\nfeed", "carriage\rreturn", "é€😀\u202e"])
def test_tab_line_feed_carriage_return_and_printable_text_are_allowed(text):
    assert forbidden_character(text) is None


def test_clean_text_removes_every_invisible_format_character():
    format_chars = [chr(i) for i in range(sys.maxunicode + 1) if unicodedata.category(chr(i)) == "Cf"]
    assert len(format_chars) > 150
    assert clean_text("a" + "".join(format_chars) + "b") == "ab"


@pytest.mark.parametrize(
    "char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e"]
)
def test_clean_text_removes_bidirectional_controls(char):
    assert clean_text(f"Titre {char}inversé") == "Titre inversé"


def test_clean_text_keeps_tabs_and_normalises_every_line_break():
    assert clean_text(" a\tb\r\nc\rd\u2028e\u2029f\x85g ") == "a\tb\nc\nd\ne\nf\ng"
    assert clean_line("  Rendez-vous\u00ad \n introuvables\u200b ") == "Rendez-vous introuvables"


@given(st.text(max_size=300))
def test_clean_text_leaves_nothing_forbidden_nor_invisible(text):
    cleaned = clean_text(text)
    assert forbidden_character(cleaned) is None
    assert not any(unicodedata.category(c) == "Cf" for c in cleaned)
    assert clean_text(cleaned) == cleaned


def test_log_values_stay_on_one_unambiguous_line():
    assert escape_for_log("/a\nGET /fake HTTP/1.1") == "/a\\nGET /fake HTTP/1.1"
    assert escape_for_log("\r\t\x00\x1b[31m\u202e\u2028") == "\\r\\t\\x00\\x1b[31m\\u202e\\u2028"
    assert escape_for_log("already\\nescaped") == "already\\\\nescaped"
    assert escape_for_log("/irritants/été") == "/irritants/été"


@given(st.text(max_size=200))
def test_escaped_log_values_are_printable(text):
    assert escape_for_log(text).isprintable()
