"""ReportCreateSchema: the one set of rules for the form and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from irritants.intake.schemas import DESCRIPTION_MAX, ReportCreateSchema, clean_text, paris_today

VALID = {
    "description": "Impossible d'obtenir un rendez-vous en préfecture depuis deux mois.",
    "administration": "prefecture",
    "territory": "2a",
    "channel": "en_ligne",
    "severity": "blocage",
}


def load(**overrides):
    return ReportCreateSchema().load({**VALID, **overrides})


def errors_of(**overrides) -> dict:
    with pytest.raises(ValidationError) as info:
        load(**overrides)
    return info.value.messages


def test_valid_input_is_normalised():
    data = load(description="  Le formulaire refuse mon IBAN pourtant valide.\r\n  ", email="", procedure="")
    assert data["description"] == "Le formulaire refuse mon IBAN pourtant valide."
    assert data["territory"] == "2A"
    assert data["procedure"] is None and data["email"] is None
    assert data["assisted"] is False and data["occurred_on"] is None


def test_description_bounds_count_characters_after_trimming():
    assert "au moins 20" in errors_of(description=" " * 30 + "court" + " " * 30)["description"][0]
    assert "4000" in errors_of(description="x" * (DESCRIPTION_MAX + 1))["description"][0]
    assert load(description="é" * DESCRIPTION_MAX)["description"] == "é" * DESCRIPTION_MAX


def test_occurrence_date_cannot_be_in_the_future_or_absurd():
    tomorrow = paris_today() + dt.timedelta(days=1)
    assert "futur" in errors_of(occurred_on=tomorrow.isoformat())["occurred_on"][0]
    assert "1990" in errors_of(occurred_on="1890-01-01")["occurred_on"][0]
    assert "date valide" in errors_of(occurred_on="31/02/2026")["occurred_on"][0]
    assert load(occurred_on=paris_today().isoformat())["occurred_on"] == paris_today()


@pytest.mark.parametrize("code", ["00", "20", "96", "975", "977", "2C", "750", "abc"])
def test_territory_codes_outside_the_departements_are_refused(code):
    assert "territory" in errors_of(territory=code)


@pytest.mark.parametrize("code", ["01", "2A", "2b", "95", "971", "976"])
def test_every_kind_of_departement_code_is_accepted(code):
    assert load(territory=code)["territory"] == code.upper()


def test_unknown_fields_are_refused_in_french():
    assert errors_of(reference="ABC")["reference"] == ["Champ inconnu ou réservé au service."]


def test_missing_required_fields_are_named():
    with pytest.raises(ValidationError) as info:
        ReportCreateSchema().load({})
    assert set(info.value.messages) == {"description", "administration", "territory", "channel", "severity"}
    assert info.value.messages["description"] == ["Ce champ est obligatoire."]


def test_consent_and_email_go_together():
    assert "contact_consent" in errors_of(email="a@example.org")
    assert "email" in errors_of(contact_consent=True)
    assert load(email="a@example.org", contact_consent=True)["email"] == "a@example.org"


@given(st.text(max_size=300))
def test_clean_text_is_idempotent(text):
    assert clean_text(clean_text(text)) == clean_text(text)


@given(st.text(max_size=300))
def test_clean_text_never_keeps_control_characters(text):
    cleaned = clean_text(text)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in cleaned)
    assert "\r" not in cleaned
