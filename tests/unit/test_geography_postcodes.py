"""A postcode in free text → the département of the référentiel (irritants.referential.postcodes)."""

from __future__ import annotations

import pytest

from irritants.referential.geography import departement_of_postcode, names
from irritants.referential.postcodes import postcode_table


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 rue de la Roquette 75011 Paris", "75"),
        ("75011", "75"),
        ("75116 Paris", "75"),
        ("F-13001 Marseille", "13"),
        ("13001Marseille", "13"),
        ("Mairie, place de l'Hôtel de Ville\n59000 Lille", "59"),
        ("01000 Bourg-en-Bresse", "01"),
        ("  95000 Cergy  ", "95"),
    ],
)
def test_an_address_line_or_a_bare_postcode_gives_its_departement(text, expected):
    assert departement_of_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20000 Ajaccio", "2A"),
        ("20090 Ajaccio", "2A"),
        ("20167 Afa", "2A"),
        ("20200 Bastia", "2B"),
        ("20600 Bastia", "2B"),
        ("20290 Borgo", "2B"),
        ("20250 Corte", "2B"),
    ],
)
def test_corsican_postcodes_go_to_2a_or_2b_by_commune(text, expected):
    assert departement_of_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("97110 Pointe-à-Pitre", "971"),
        ("97200 Fort-de-France", "972"),
        ("97300 Cayenne", "973"),
        ("97400 Saint-Denis", "974"),
        ("97600 Mamoudzou", "976"),
        # Overseas collectivities are not départements of the référentiel.
        ("97133 Saint-Barthélemy", None),
        ("97150 Saint-Martin", None),
        ("97500 Saint-Pierre", None),
        ("98800 Nouméa", None),
        ("98713 Papeete", None),
        ("98000 Monaco", None),
    ],
)
def test_overseas_departements_are_found_and_other_territories_are_none(text, expected):
    assert departement_of_postcode(text) == expected


@pytest.mark.parametrize(
    ("postcode", "expected", "also"),
    [
        ("52100", "52", "51"),  # Saint-Dizier, and a few communes of the Marne
        ("33220", "33", "24"),  # Sainte-Foy-la-Grande, and Port-Sainte-Foy in the Dordogne
        ("01200", "01", "74"),
        ("06260", "06", "04"),
        ("13780", "13", "83"),
    ],
)
def test_a_postcode_shared_by_two_departements_goes_to_the_one_with_most_inhabitants(postcode, expected, also):
    assert departement_of_postcode(postcode) == expected
    assert postcode_table()[postcode] == expected


def test_the_table_beats_the_leading_digits():
    # Orly airport's postcode belongs to Paray-Vieille-Poste, in the Essonne.
    assert departement_of_postcode("94390 Paray-Vieille-Poste") == "91"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("75700 Paris Cedex 07", "75"),
        ("69424 Lyon Cedex 03", "69"),
        ("Palais Lantivy, 20188 Ajaccio Cedex 1", "2A"),
        ("Rond-point du Maréchal Leclerc, 20401 Bastia Cedex 9", "2B"),
        ("97109 Basse-Terre Cedex", "971"),
    ],
)
def test_an_unlisted_postcode_such_as_a_cedex_falls_back_on_its_leading_digits(text, expected):
    assert departement_of_postcode(text) == expected


def test_a_listed_postcode_wins_over_an_earlier_unlisted_number():
    assert departement_of_postcode("BP 90001, 33000 Bordeaux") == "33"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Paris",
        "rue de la Paix",
        "7501",
        "750110",
        "0123456789",
        "Tél. 01 23 45 67 89",
        "SIRET 12345678901234",
        "00000",
        "96000",
        "99999",
        "97500",
        "réf. 98765",
    ],
)
def test_text_without_a_french_postcode_gives_none(text):
    assert departement_of_postcode(text) is None


def test_every_departement_of_the_table_is_one_of_the_referential_and_each_has_postcodes():
    table = postcode_table()
    found = {code for code in table.values() if code is not None}
    assert found == set(names())
    assert all(len(postcode) == 5 and postcode.isdigit() for postcode in table)
