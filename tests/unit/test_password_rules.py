"""The house's password rules that need no database: the bundled list of common passwords, the service's own words."""

from __future__ import annotations

import pytest

from irritants.auth import passwords
from irritants.auth.passwords import COMMON_BASE_MESSAGE, COMMON_MESSAGE, context_word_in, password_problems


def test_the_bundled_list_of_common_passwords_is_read_from_the_package():
    listed = passwords.common_passwords()

    assert len(listed) > 19_000
    assert {"123456", "password", "azerty", "motdepasse", "soleil", "qwerty123456"} <= listed
    assert all(entry == entry.lower() for entry in listed)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("qwerty123456", COMMON_MESSAGE),
        ("QWERTY123456", COMMON_MESSAGE),
        ("1q2w3e4r5t6y", COMMON_MESSAGE),
        ("motdepasse2026!", COMMON_BASE_MESSAGE),
        ("2026-Marseille-13", COMMON_BASE_MESSAGE),
        ("Bonjour123456", COMMON_BASE_MESSAGE),
    ],
)
def test_common_passwords_and_common_ones_with_digits_around_are_refused(typed, message):
    assert message in password_problems(typed)


@pytest.mark.parametrize(
    "typed",
    ["une toute nouvelle phrase de passe 7", "correct horse battery staple 42", "bonjour la mer est calme ce matin"],
)
def test_passphrases_that_contain_a_common_word_are_accepted(typed):
    assert password_problems(typed) == []


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("Irritants2026!!", "irritants"),
        ("signalement-signalement", "signalement"),
        ("Signalements 75015", "signalements"),
        ("béta.gouv.fr 2026", "beta.gouv"),
        ("CAF-paris-75-2026", "CAF"),
        ("FranceTravail#2026", "France Travail"),
    ],
)
def test_a_password_resting_on_the_service_s_own_words_is_refused_naming_the_word(typed, word):
    context = ["Caisse d'allocations familiales", "CAF", "caf", "France Travail", "france-travail"]

    assert context_word_in(typed, [*passwords.SERVICE_WORDS, *context]) == word
    problems = password_problems(typed, context_words=context)
    assert any(f"repose sur « {word} »" in problem for problem in problems), problems


def test_a_context_word_inside_a_long_passphrase_is_accepted():
    context = ["CAF", "France Travail"]

    assert password_problems("mon dossier caf avance enfin vers le printemps", context_words=context) == []
    assert password_problems("les irritants du quotidien sont têtus comme des mules", context_words=context) == []


def test_generated_passwords_pass_the_rules():
    assert all(password_problems(passwords.generate_password()) == [] for _ in range(200))
