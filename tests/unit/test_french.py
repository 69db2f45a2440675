"""French wording of counts in messages."""

from __future__ import annotations

from irritants.french import agree, number, plural


def test_zero_and_one_take_the_singular_and_two_the_plural():
    assert plural(0, "texte", "textes") == "0 texte"
    assert plural(1, "groupe", "groupes") == "1 groupe"
    assert plural(2, "groupe", "groupes") == "2 groupes"
    assert plural(1, "adresse supprimée", "adresses supprimées") == "1 adresse supprimée"


def test_numbers_use_french_separators():
    assert number(999) == "999"
    assert number(12345) == "12\u202f345"
    assert number(3.25, 1) == "3,2"
    assert plural(2000, "signalement", "signalements") == "2\u202f000 signalements"


def test_a_verb_far_from_its_number_agrees_with_it():
    assert agree(1, "serait effacée", "seraient effacées") == "serait effacée"
    assert agree(3, "serait effacée", "seraient effacées") == "seraient effacées"
