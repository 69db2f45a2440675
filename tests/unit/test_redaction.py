"""Redaction of personal data: a corpus of tricky strings, what must be masked and what must stay."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irritants.intake.redaction import PLACEHOLDERS, detect, excerpt, finding_kinds, redact, segments

# (text, kind, the exact span that must be found)
POSITIVES = [
    # emails, inside text and at the end of a sentence
    ("Écrivez-moi à jean.dupont@example.org svp.", "email", "jean.dupont@example.org"),
    ("mail:marie-claire_78@orange.fr.", "email", "marie-claire_78@orange.fr"),
    # French phone numbers
    ("Mon portable 06 12 34 56 78 merci", "phone", "06 12 34 56 78"),
    ("Appelez le 06.12.34.56.78.", "phone", "06.12.34.56.78"),
    ("tel 0612345678", "phone", "0612345678"),
    ("joignable au 06-12-34-56-78", "phone", "06-12-34-56-78"),
    ("au +33 6 12 34 56 78 le soir", "phone", "+33 6 12 34 56 78"),
    ("au +33 (0)6 12 34 56 78", "phone", "+33 (0)6 12 34 56 78"),
    ("ou 0033 6 12 34 56 78", "phone", "0033 6 12 34 56 78"),
    ("fixe 01 23 45 67 89", "phone", "01 23 45 67 89"),
    ("box 09 87 65 43 21", "phone", "09 87 65 43 21"),
    ("à La Réunion 0262 12 34 56", "phone", "0262 12 34 56"),
    ("portable +262 692 12 34 56", "phone", "+262 692 12 34 56"),
    ("en Guadeloupe +590 690 12 34 56", "phone", "+590 690 12 34 56"),
    # NIR: valid, spaced, with key, Corsica
    ("Mon numéro de sécu est 2 95 10 99 126 111 93.", "nir", "2 95 10 99 126 111 93"),
    ("NIR 295109912611193", "nir", "295109912611193"),
    ("né en Corse : 253072B07300470", "nir", "253072B07300470"),
    ("ou 2 53 07 2A 073 004 43", "nir", "2 53 07 2A 073 004 43"),
    ("numéro de sécurité sociale 1 85 05 78 006 084 sans la clé", "nir", "1 85 05 78 006 084"),
    # IBAN (FR and foreign, spaced or not) and BIC
    ("IBAN : FR76 3000 6000 0112 3456 7890 189 pour le virement", "iban", "FR76 3000 6000 0112 3456 7890 189"),
    ("RIB FR7630006000011234567890189.", "iban", "FR7630006000011234567890189"),
    ("compte allemand DE89 3704 0044 0532 0130 00", "iban", "DE89 3704 0044 0532 0130 00"),
    ("GB82WEST12345698765432 au Royaume-Uni", "iban", "GB82WEST12345698765432"),
    ("BIC : BNPAFRPPXXX", "bic", "BNPAFRPPXXX"),
    # numéro allocataire, numéro fiscal
    ("Mon n° d'allocataire : 1234567.", "caf", "1234567"),
    ("numéro CAF 7654321 depuis 2019", "caf", "7654321"),
    ("numéro allocataire 12345678", "caf", "12345678"),
    ("mon numéro fiscal 30 23 217 600 053", "fiscal", "30 23 217 600 053"),
    ("n° fiscal 3023217600053", "fiscal", "3023217600053"),
    ("SPI 1234567890123 sur l'avis", "fiscal", "1234567890123"),
    # other identifiers
    ("n° de dossier 12345678", "number", "12345678"),
    ("identifiant France Travail 1234567A", "number", "1234567A"),
    ("numéro RG 12/34567", "number", "12/34567"),
    ("n° Siret 123 456 789 00012", "number", "123 456 789 00012"),
    # addresses
    ("J'habite au 12 rue des Lilas depuis", "address", "12 rue des Lilas"),
    ("3 bis avenue Jean Jaurès à Lyon", "address", "3 bis avenue Jean Jaurès"),
    ("5 bd Saint-Michel", "address", "5 bd Saint-Michel"),
    ("au 4 chemin des vignes", "address", "4 chemin des vignes"),
    ("12 allée des Acacias", "address", "12 allée des Acacias"),
    ("8 impasse du Moulin", "address", "8 impasse du Moulin"),
    ("2 place de la République", "address", "2 place de la République"),
    ("lieu-dit Les Granges", "address", "lieu-dit Les Granges"),
    ("à 75012 Paris", "address", "75012 Paris"),
    ("12 rue des Lilas, 59000 Lille.", "address", "12 rue des Lilas, 59000 Lille"),
    ("97400 Saint-Denis", "address", "97400 Saint-Denis"),
    # names
    ("rendez-vous avec M. Dupont hier", "name", "Dupont"),
    ("Mme Martin m'a dit", "name", "Martin"),
    ("Monsieur Jean Dupont a refusé", "name", "Jean Dupont"),
    ("Madame Durand-Lefèvre", "name", "Durand-Lefèvre"),
    ("Je m'appelle Marie Curie et j'ai trois enfants", "name", "Marie Curie"),
    ("je m'appelle jean dupont j'habite à Lille", "name", "jean dupont"),
    ("Je suis Mme Durand, mère de deux enfants", "name", "Durand"),
    ("Merci de votre aide.\nCordialement,\nJean Dupont", "name", "Jean Dupont"),
    ("Bien à vous. Sophie", "name", "Sophie"),
    ("Cordialement, Mme Leroy.", "name", "Leroy"),
    # codes mixing letters and digits: a tracking token, a file number
    ("mon lien Zx9fK2m8Qp4LrT7vBn3H ne marche plus", "number", "Zx9fK2m8Qp4LrT7vBn3H"),
    ("dossier AB12CD34EF56 bloqué", "number", "AB12CD34EF56"),
    ("code 7f3a-91bc-44de-8e2f perdu", "number", "7f3a-91bc-44de-8e2f"),
    # links
    ("voir https://exemple.com/page?id=3 pour", "url", "https://exemple.com/page?id=3"),
]


@pytest.mark.parametrize(("text", "kind", "span"), POSITIVES, ids=[p[2] for p in POSITIVES])
def test_personal_data_is_found_with_its_kind_and_exact_span(text, kind, span):
    found = [(f.kind, text[f.start : f.end]) for f in detect(text)]
    assert (kind, span) in found
    masked = redact(text)
    assert span not in masked
    assert PLACEHOLDERS[kind] in masked


# Obfuscated emails and phone numbers: written so as to slip past a plain pattern, masked all the same.
OBFUSCATED = [
    ("Écrivez à jean.dupont [at] example [dot] com svp", "email", "jean.dupont [at] example [dot] com"),
    ("mail : jean (at) example (dot) fr.", "email", "jean (at) example (dot) fr"),
    ("jean.dupont(at)example.com", "email", "jean.dupont(at)example.com"),
    ("jean{at}laposte{dot}net", "email", "jean{at}laposte{dot}net"),
    ("jean [arobase] free [point] fr", "email", "jean [arobase] free [point] fr"),
    ("contactez jean arobase example point com merci", "email", "jean arobase example point com"),
    ("jean.dupont AROBASE orange POINT fr", "email", "jean.dupont AROBASE orange POINT fr"),
    ("marie point curie arobase orange point fr", "email", "marie point curie arobase orange point fr"),
    ("écrire à jean at gmail dot com.", "email", "jean at gmail dot com"),
    ("jean @ example . com", "email", "jean @ example . com"),
    ("jean.dupont @gmail.com", "email", "jean.dupont @gmail.com"),
    ("mon adresse jean.dupont arobase gmail, merci", "email", "jean.dupont arobase gmail"),
    ("06/12/34/56/78", "phone", "06/12/34/56/78"),
    ("tel 06 - 12 - 34 - 56 - 78 le matin", "phone", "06 - 12 - 34 - 56 - 78"),
    ("au 0 6 1 2 3 4 5 6 7 8", "phone", "0 6 1 2 3 4 5 6 7 8"),
    ("au 06 12 3456 78", "phone", "06 12 3456 78"),
    ("portable 06.12.34.56.78", "phone", "06.12.34.56.78"),
    ("06_12_34_56_78", "phone", "06_12_34_56_78"),
    ("O6 12 34 56 78 (lettre O)", "phone", "O6 12 34 56 78"),
    ("(06) 12 34 56 78", "phone", "(06) 12 34 56 78"),
    ("+33/6/12/34/56/78", "phone", "+33/6/12/34/56/78"),
    ("+33 (0) 6 12 34 56 78", "phone", "+33 (0) 6 12 34 56 78"),
    ("+33 06 12 34 56 78", "phone", "+33 06 12 34 56 78"),
    (
        "Appelez le zéro six douze trente-quatre cinquante-six soixante-dix-huit.",
        "phone",
        "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
    ),
    (
        "zéro six, douze, trente quatre, cinquante six, soixante dix huit",
        "phone",
        "zéro six, douze, trente quatre, cinquante six, soixante dix huit",
    ),
    ("zero six un deux trois quatre cinq six sept huit", "phone", "zero six un deux trois quatre cinq six sept huit"),
    (
        "fixe zéro un quarante-deux quatre-vingt-dix-sept vingt et un soixante-neuf le soir",
        "phone",
        "zéro un quarante-deux quatre-vingt-dix-sept vingt et un soixante-neuf",
    ),
    ("appelez le zéro sept 12 34 56 78 svp", "phone", "zéro sept 12 34 56 78"),
]


@pytest.mark.parametrize(("text", "kind", "span"), OBFUSCATED, ids=[o[2] for o in OBFUSCATED])
def test_obfuscated_emails_and_phones_are_found_and_masked(text, kind, span):
    found = [(f.kind, text[f.start : f.end]) for f in detect(text)]
    assert (kind, span) in found
    masked = redact(text)
    assert span not in masked
    assert PLACEHOLDERS[kind] in masked


NEGATIVES = [
    "Il me reste 350 € pour vivre.",
    "Il me reste 350€ et 1 200,50 euros de dettes.",
    "depuis 3 mois",
    "le 12/03/2024",
    "le 12.03.2024 à 10h30",
    "rendez-vous le 2024-03-12",
    "article L. 262-2 du code de l'action sociale",
    "département 59",
    "RSA",
    "Le RSA de 607,75 € a été suspendu en 2023.",
    "dossier déposé en 2023 et relancé 15 fois",
    "il reste 12 places, 3 rues plus loin",
    "12 cours de français par semaine",
    "Monsieur le Préfet, Madame la conseillère",
    "Madame, Monsieur, je vous écris",
    "Merci d'avance pour votre aide.",
    "Bien cordialement",
    "Je vais finir à la rue.",
    "n° 3 de la liste, formulaire cerfa 15186*03",
    "une amende de 135 euros, majorée à 375 €",
    "1 500 000 € de budget",
    "appelez le 3949 ou le 0800 12 34 56 (numéro gratuit)",
    "sur https://www.caf.fr/allocataires et www.impots.gouv.fr",
    "Mon enfant de 4 ans",
    "14 juillet 2024",
    # near misses of the obfuscated forms: words, dates and amounts that must stay
    "De mon point de vue, la CAF point barre.",
    "le signe arobase est refusé par le formulaire",
    "arobase",
    "Le site caf point fr ne marche pas",
    "RDV @ mairie. Me voilà sans réponse.",
    "look at home",
    "J'ai zéro réponse depuis trois mois et deux relances.",
    "zéro six douze",
    "trois enfants de six, huit et douze ans",
    "le 06/12/2023 14 personnes attendaient",
    "envoyé le 06.12.2023 12 34",
    "du 01.02.2024 au 03.04.2024",
    "0,50 € puis 12,30 €",
    "0 612 345 678 €",
    "j'ai attendu 06 12 mois",
    # words and short references that are not codes
    "anticonstitutionnellement, COVID-19, e-mail, Covid19",
    "le formulaire cerfa-12345 et la loi 2024-123",
    "France-Travail, Île-de-France, 4G/5G, A380",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_numbers_and_words_stay(text):
    assert detect(text) == []
    assert redact(text) == text


def test_a_15_digit_number_failing_the_nir_key_is_masked_but_not_counted_as_a_nir():
    text = "numéro 1 85 05 78 006 084 99 sur ma carte"
    assert finding_kinds(text) == ["number"]
    assert redact(text) == "numéro [numéro] sur ma carte"
    assert finding_kinds("253072C07300443") != ["nir"]  # not a Corsican department


def test_an_invalid_iban_is_masked_as_a_number_and_a_following_word_is_kept():
    text = "IBAN FR76 3000 6000 0112 3456 7890 188 pour le virement"
    assert finding_kinds(text) == ["number"]
    assert redact(text) == "IBAN [numéro] pour le virement"
    # A valid one made of whole groups of four, followed by a 4-letter word: the word is not part of it.
    assert redact("virement sur BE71 0961 2345 6769 pour rien") == "virement sur [IBAN] pour rien"


def test_everything_in_one_report_is_replaced_by_french_placeholders():
    text = (
        "Bonjour, je m'appelle Marie Dupont. Mon numéro allocataire est 1234567 et mon IBAN "
        "FR76 3000 6000 0112 3456 7890 189. J'habite 12 rue des Lilas, 59000 Lille. "
        "Appelez-moi au 06 12 34 56 78 ou écrivez à marie.dupont@example.org.\nCordialement,\nMarie Dupont"
    )
    assert redact(text) == (
        "Bonjour, je m'appelle [nom]. Mon numéro allocataire est [n° allocataire] et mon IBAN "
        "[IBAN]. J'habite [adresse]. "
        "Appelez-moi au [téléphone] ou écrivez à [courriel].\nCordialement,\n[nom]"
    )
    assert finding_kinds(text) == ["address", "caf", "email", "iban", "name", "phone"]


def test_findings_are_ordered_and_never_overlap():
    text = "Mon numéro de sécu 2 95 10 99 126 111 93, tel 06 12 34 56 78, M. Martin au 3 rue Haute."
    found = detect(text)
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_segments_cut_the_raw_text_for_highlighting():
    text = "Appelez M. Martin au 06 12 34 56 78."
    parts = segments(text)
    assert "".join(part for part, _ in parts) == text
    assert [(part, kind) for part, kind in parts if kind] == [("Martin", "name"), ("06 12 34 56 78", "phone")]


def test_excerpt_is_redacted_on_one_line_and_never_cut_inside_a_placeholder():
    assert excerpt("Mon\n\ntéléphone :   06 12 34 56 78") == "Mon téléphone : [téléphone]"
    long = "a" * 260 + " mon numéro de sécurité sociale 2 95 10 99 126 111 93 et la suite du texte"
    short = excerpt(long, limit=290)
    assert short.endswith("…") and "[n° de" not in short and "2 95" not in short


@pytest.mark.parametrize(
    "text",
    ["a" * 4000, "12 " * 1300, "AB12 " * 800, "n° " * 1300, "Monsieur " * 400 + "1" * 3000, "@." * 2000],
    ids=["letters", "numbers", "iban-like", "keywords", "mixed", "symbols"],
)
def test_hostile_inputs_of_maximum_length_stay_fast(text):
    # A guard against catastrophic backtracking (seconds to minutes on 4,000 characters), not a speed goal: the
    # bound leaves room for a busy machine (the cost per report is measured by scripts/bench_redaction.py).
    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.from_regex(r"[0-9 .+@a-zA-Z]{0,80}"))
def test_any_text_is_cut_into_its_own_segments_and_redacted_without_error(text):
    parts = segments(text)
    assert "".join(part for part, _ in parts) == text
    found = detect(text)
    assert all(0 <= f.start < f.end <= len(text) and f.kind in PLACEHOLDERS for f in found)
    redact(text)
