"""Titles and keywords that name the blockage: real-looking French complaints with openers, greetings, signatures,
shouting, missing accents, and merged irritants."""

from __future__ import annotations

import re

import pytest

from irritants.clustering import cluster_terms, keywords, title
from irritants.clustering.text import shorten

RSA = [
    "Bonjour, j'espère que quelqu'un lira ce message. Ma demande de RSA est bloquée depuis trois mois, le dossier "
    "est marqué « en cours de traitement » et je n'ai plus aucune ressource. Cordialement, Mme Durand",
    "Je vous écris en dernier recours. RSA toujours pas versé après deux mois, dossier complet, rien ne bouge. "
    "Merci d'avance.",
    "Madame, Monsieur, mon dossier RSA est bloqué depuis janvier, pas de réponse, pas d'argent. On me dit que ça "
    "pourra prendre trois mois de plus. Je suis à bout.",
    "DOSSIER RSA BLOQUÉ DEPUIS 4 MOIS, PERSONNE NE RÉPOND. Aidez-moi s'il vous plaît.",
    "Je viens de perdre mon emploi. Ma demande de RSA est bloquée, aucun versement depuis deux mois.",
]
PREFECTURE = [
    "Bonjour, aucun rendez-vous disponible à la préfecture pour renouveler mon titre de séjour. Merci.",
    "Impossible de prendre rendez-vous en préfecture, mon titre de séjour expire dans deux semaines.",
    "Je me connecte chaque nuit à minuit : zéro créneau à la préfecture pour le titre de séjour. On me dit de "
    "réessayer, ça pourra se débloquer.",
    "Voilà mon problème : pas de rendez-vous préfecture pour mon titre de séjour, mon employeur va me licencier.",
]
TROP_PERCU = [
    "La CAF me réclame un trop-perçu de 1 118 € sans aucune explication. Personne ne peut m'expliquer le calcul.",
    "Trop-perçu de 600 € réclamé sans explication, retenue sur toutes mes aides. Je ne comprends pas le calcul.",
    "J'ai reçu un courrier : je dois rembourser un trop-perçu. Aucun détail, aucun calcul, les retenues ont commencé.",
]
FILLER = re.compile(r"espère|lira|écris|recours|bonjour|madame|merci|cordialement|aidez|à bout|perdre mon emploi", re.I)


def _terms(*groups: list[str]):
    texts = [t for g in groups for t in g]
    labels = [i for i, g in enumerate(groups) for _ in g]
    return texts, labels, cluster_terms(texts, labels)


def test_keywords_leave_out_filler_verbs_numbers_and_greetings():
    texts, labels, _ = _terms(RSA, PREFECTURE, TROP_PERCU)
    words = keywords(texts, labels, top_n=8)
    shown = " ".join(w for ws in words.values() for w in ws).lower()
    for filler in ("dit", "pourra", "trois", "espère", "message", "bonjour", "merci", "mois", "calcul dit"):
        assert filler not in shown.split(" ") and filler not in words[2], filler
    assert "RSA" in words[0] and "titre de séjour" in words[1] and "trop-perçu" in words[2]


def test_two_word_keywords_are_words_side_by_side_never_across_a_sentence():
    texts, labels, _ = _terms(PREFECTURE, RSA)
    words = keywords(texts, labels, top_n=8)
    assert "titre de séjour" in words[0]  # linked by « de », shown as written
    # « …de réessayer, ça pourra… » and « licencier. » are not adjacent in any report: no « réessayer pourra ».
    assert not any(" " in w and w not in " ".join(PREFECTURE).lower() for w in words[0])


def test_title_is_the_blockage_with_its_demarche_never_an_opener_nor_a_greeting():
    _texts, _, terms = _terms(RSA, PREFECTURE, TROP_PERCU)
    rsa = title(RSA, terms[0].weights, demarche="Demande de RSA", keywords=terms[0].keywords)
    assert not FILLER.search(rsa)
    assert "bloqu" in rsa and "RSA" in rsa
    prefecture = title(PREFECTURE, terms[1].weights, where="Préfecture du Nord", keywords=terms[1].keywords)
    assert not FILLER.search(prefecture) and "rendez-vous" in prefecture.lower()
    assert "Préfecture du Nord :" not in prefecture  # the body names the préfecture already


def test_title_puts_the_demarche_first_when_the_body_does_not_name_it():
    _, _, terms = _terms(RSA, PREFECTURE, TROP_PERCU)
    text = title(TROP_PERCU, terms[2].weights, demarche="Aide au logement (APL, ALS, ALF)")
    assert text.startswith("Aide au logement : ")  # parenthesis dropped, « : » then the blockage
    assert "trop-perçu" in text.lower() and "€" not in text and not re.search(r"\d", text)


def test_title_of_a_shouted_or_accentless_report_is_written_like_the_others():
    shouting = ["ZÉRO CRÉNEAU À LA PRÉFECTURE POUR MON TITRE DE SÉJOUR, JE VAIS PERDRE MON TRAVAIL."]
    others = [
        "Il n'y a aucun créneau à la préfecture pour le titre de séjour, et mon récépissé expire.",
        "zero creneau a la prefecture pour le titre de sejour, je vais perdre mon travail",
    ]
    texts = shouting + others
    terms = cluster_terms(texts + RSA, [0] * 3 + [1] * len(RSA))
    text = title(texts, terms[0].weights)
    assert not re.search(r"[A-ZÀ-Ý]{2,}", text), text  # no shouting left
    assert "préfecture" in text and "séjour" in text


@pytest.mark.parametrize("limit", [20, 37, 60, 100])
def test_titles_are_never_cut_inside_a_word(limit):
    long_report = [
        "Le formulaire de demande d'aide au logement refuse systématiquement mon justificatif de domicile "
        "électronique pourtant parfaitement valide et récent depuis la dernière mise à jour du site internet."
    ] * 3
    terms = cluster_terms(long_report + RSA, [0] * 3 + [1] * len(RSA))
    text = title(long_report, terms[0].weights, max_chars=limit)
    assert len(text) <= limit
    words = set(re.findall(r"\w+", long_report[0]))
    assert all(w in words or w.lower() in {x.lower() for x in words} for w in re.findall(r"\w+", text))


def test_shorten_cuts_between_words_with_an_ellipsis():
    assert shorten("Rendez-vous introuvable en préfecture", 100) == "Rendez-vous introuvable en préfecture"
    assert shorten("Rendez-vous introuvable en préfecture", 30) == "Rendez-vous introuvable en…"
    assert shorten("Rendez-vous   introuvable\nen préfecture", 24) == "Rendez-vous introuvable…"


def test_merged_irritant_keywords_come_from_all_its_reports_without_filler():
    merged = [*RSA[:3], "Ma demande de RSA est bloquée depuis la fusion des dossiers, on me dit que ça pourra durer."]
    words = keywords(merged + PREFECTURE + TROP_PERCU, [0] * 4 + [1] * 4 + [2] * 3, top_n=8)[0]
    assert any("RSA" in w for w in words)
    assert not {"dit", "pourra", "dit pourra", "trois"} & {w.lower() for w in words}


def test_title_without_any_distinctive_clause_falls_back_on_demarche_and_keywords():
    only_filler = ["Bonjour, j'espère que quelqu'un lira ce message. Merci. Cordialement."] * 2
    assert title(only_filler, {}, demarche="Carte Vitale", keywords=["pharmacie", "ordonnance"]) == (
        "Carte Vitale : pharmacie, ordonnance"
    )
    assert title(only_filler, {}, demarche="Carte Vitale", keywords=["carte vitale", "pharmacie"]) == (
        "Carte vitale, pharmacie"
    )
    assert title(only_filler, {}) == "Signalements divers"


def test_a_citizen_telling_who_they_are_is_not_the_title_of_a_single_report():
    # One report alone: every word is as distinctive as any other, yet « je suis étudiant » is context.
    report = [
        "Bonjour. Je suis étudiant et je vis seul. Ma bourse n'est toujours pas versée, dossier validé en septembre."
    ]
    terms = cluster_terms(report + RSA, [0] + [1] * len(RSA))
    text = title(report, terms[0].weights, demarche="Bourse sur critères sociaux")
    assert "étudiant" not in text and "versée" in text, text


def test_after_the_colon_a_common_word_loses_its_capital_an_acronym_keeps_it():
    dossier = [
        "Bonjour, Dossier complet déposé pour la prime d'activité, aucune réponse après trois mois.",
        "Mon dossier complet déposé pour la prime d'activité est sans réponse depuis l'été.",
        "J'ai un dossier complet déposé il y a longtemps et aucune réponse.",
    ]
    anef = [
        "Bonjour, ANEF bloquée depuis six mois, aucune réponse.",
        "Madame, ANEF bloquée, aucune réponse depuis six mois.",
        "ANEF bloquée depuis six mois.",
    ]
    terms = cluster_terms(dossier + anef + RSA, [0] * 3 + [1] * 3 + [2] * len(RSA))
    assert title(dossier, terms[0].weights, where="Urssaf").startswith("Urssaf : dossier complet déposé")
    assert title(anef, terms[1].weights, where="Préfecture").startswith("Préfecture : ANEF")
