"""French-aware normalisation of report texts: folding, masking, stop words, stemming."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

MASK_EMAIL = "_email_"
MASK_URL = "_url_"
MASK_PHONE = "_tel_"
MASK_NUMBER = "_num_"
MASKS = (MASK_EMAIL, MASK_URL, MASK_PHONE, MASK_NUMBER)

# Folded (accent-free) forms: normalisation compares after folding.
_FRENCH_STOP_TEXT = """
a ai aie aient aies ait alors as au aucun aucune aupres aura aurai auraient aurais aurait auras aurez auriez
aurions aurons auront aussi autre autres aux avaient avais avait avant avec avez aviez avions avoir avons ayant
ayez ayons bah bien bon c ca car ce ceci cela celle celles celui cependant ces cet cette ceux chaque chez ci comme
comment d dans de deja des donc dont du elle elles en encore es est et etaient etais etait etant ete etes etiez
etions etre eu eue eues eumes eurent eus eusse eussent eusses eussiez eussions eut eutes eux fais fait faites fois
furent fus fusse fussent fusses fussiez fussions fut futes ici il ils j je jusqu jusque l la le les leur leurs lui
m ma mais me meme memes mes moi mon n ne ni nos notre nous on ont ou par parce pas peu peut plus pour pourquoi
qu quand que quel quelle quelles quels qui quoi s sa sans se sera serai seraient serais serait seras serez seriez
serions serons seront ses si sien soi soient sois soit sommes son sont soyez soyons suis sur t ta te tes toi ton
tous tout toute toutes tres tu un une unes uns vers voici voila vos votre vous vu y
bonjour merci madame monsieur cordialement svp stp
"""
FRENCH_STOP_WORDS = frozenset(_FRENCH_STOP_TEXT.split())
STOP_WORDS = FRENCH_STOP_WORDS | frozenset(ENGLISH_STOP_WORDS)

# Order matters: e-mails and URLs hold digits and dots that the phone and number rules would otherwise eat.
_EMAIL = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# French numbers (0X XX XX XX XX, +33 X ..., 0033) with the usual separators; nine digits at least.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?33\s?\(?0?\)?|0)\s?[1-9](?:[\s.\-]?\d{2}){4}(?!\w)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'")
_TOKEN = re.compile(r"_(?:email|url|tel|num)_|[a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'", "ʼ": "'", "`": "'", "ß": "ss"})


def fold(text: str) -> str:
    """Lower-case, strip accents and ligatures, keep only ASCII."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return text.encode("ascii", "ignore").decode("ascii")


def mask(text: str) -> str:
    """Replace e-mails, URLs, phone numbers and numbers by placeholder tokens (on folded text)."""
    text = _EMAIL.sub(f" {MASK_EMAIL} ", text)
    text = _URL.sub(f" {MASK_URL} ", text)
    text = _PHONE.sub(f" {MASK_PHONE} ", text)
    return _NUMBER.sub(f" {MASK_NUMBER} ", text)


@functools.cache
def _stemmer(language: str) -> Callable[[str], str]:
    try:
        import Stemmer  # PyStemmer: C Snowball, ~10x faster than the pure-Python port

        return Stemmer.Stemmer(language).stemWord
    except ImportError:
        pass
    try:
        import snowballstemmer

        return snowballstemmer.stemmer(language).stemWord
    except ImportError:
        return _light_stem


def _light_stem(word: str) -> str:
    """Strip a few plural and verbal endings when no Snowball stemmer is installed."""
    for suffix in (
        "ements",
        "ement",
        "ations",
        "ation",
        "ments",
        "ment",
        "euses",
        "euse",
        "eurs",
        "eur",
        "ees",
        "es",
        "ee",
        "er",
        "e",
        "s",
        "x",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=200_000)
def stem(word: str, language: str = "french") -> str:
    """Stem to a fixed point, so that stemming a stem changes nothing (normalisation stays idempotent)."""
    stemmer = _stemmer(language)
    # Each pass may strip one more ending ("aoesyiaaae" takes seven): bounded by the word's length.
    for _ in range(len(word) + 1):
        nxt = stemmer(word)
        if nxt == word or not nxt:
            break
        word = nxt
    return word


def tokens(text: str, *, language: str = "french", stemming: bool = True) -> list[str]:
    """Normalised tokens of a text: folded, masked, without stop words, stemmed."""
    folded = mask(_ELISION.sub(" ", fold(text)))
    out: list[str] = []
    for tok in _TOKEN.findall(folded):
        if tok in MASKS:
            out.append(tok)
            continue
        if tok.isdigit() or tok in STOP_WORDS:
            continue
        if stemming:
            tok = stem(tok, language)
        # A stem that is itself a stop word would vanish on a second pass: drop it now to stay idempotent.
        if len(tok) >= 2 and tok not in STOP_WORDS:
            out.append(tok)
    return out


def normalise(text: str, *, language: str = "french", stemming: bool = True) -> str:
    """Normalised text (space-joined tokens), idempotent: normalise(normalise(t)) == normalise(t)."""
    return " ".join(tokens(text, language=language, stemming=stemming))


# A keyword or a title's clause never spans a punctuation mark, a number or a masked e-mail, address or phone.
_BREAKS = re.compile(r"[.!?;:,()\[\]{}«»\"“”…/|\n\r\t–—]+")


_PERSONAL = tuple(re.compile(p.pattern, re.IGNORECASE) for p in (_EMAIL, _URL, _PHONE, _NUMBER))


def segments(text: str) -> list[str]:
    """Stretches of a text between punctuation marks, numbers, e-mails, addresses and phone numbers (case kept)."""
    text = text.translate(_LIGATURES)
    for pattern in _PERSONAL:
        text = pattern.sub(" | ", text)
    return [part for part in _BREAKS.split(text) if part.strip()]


# Words that say how a citizen feels, when, how often or to whom they wrote, but not what blocks: never an
# irritant's keyword nor a reason to pick a sentence as its title (folded forms; the stop words above go too).
_FILLER_TEXT = """
dire dis dit dite dites disent disait disant pouvoir peux peut peuvent pourra pourrai pourrais pourrait pourront
pu puis puisse devoir dois doit doivent devrait devrais devra faut falloir fallait faudra faudrait faire faisant
font ferai fera ferait aller vais va vont allait irai ira savoir sais sait savent savais vouloir veux veut veulent
voulais voudrais voudrait mettre mis met prendre pris prend venir viens vient venu voir vois voit vu vue donner
donne trouve trouver semble sembler arrive arriver essaie essaye essayer
un deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente cent cents mille premier premiere
deuxieme troisieme dernier derniere demi demie moitie
jour jours journee semaine semaines mois an ans annee annees heure heures minute minutes seconde fois moment
hier aujourd aujourdhui demain soir matin midi nuit lundi mardi mercredi jeudi vendredi samedi dimanche
janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
depuis toujours jamais encore deja enfin ensuite puis alors maintenant actuellement bientot tard tot souvent
vraiment tellement completement absolument totalement simplement juste seulement meme aussi beaucoup trop assez
rien personne quelqu quelque quelques quelquun chose choses truc tout tous toute toutes plusieurs chaque autre
bonjour bonsoir merci cordialement salutations madame monsieur mesdames messieurs svp stp please aidez aider
espere esperer lira lire lu message messages ecris ecrit ecrire permets permettre recours dernier contacte
normal anormal inadmissible scandaleux scandale honte honteux incroyable inacceptable desespere desesperee bout
peur stress stresse stressee fatigue marre ras bol moindre
oui non ok voila bref donc car parce comme ainsi cela ca ceci est-ce moins moyen pourtant probleme problemes
souci soucis lit pouvez plait extraordinaire info infos rappeler rappelez rappelez-moi
"""
# Text-speak (folded): never a keyword, and a title prefers a clause written in full.
_TEXT_SPEAK_TEXT = """
pr ds dps pcq pq bcp tjrs tjs jsp qd slt mdr ptn auj tt ke koi r1 dc jpp jsuis pers tel bjr msg mrc c vs
"""
TEXT_SPEAK = frozenset(_TEXT_SPEAK_TEXT.split())
FILLER_WORDS = frozenset(_FILLER_TEXT.split()) | TEXT_SPEAK


def is_filler(word: str) -> bool:
    """Whether a word (any case or accents) is a stop word or says nothing of what blocks (« aidez-moi » neither)."""
    folded = fold(word).replace("'", "")
    return all(part in STOP_WORDS or part in FILLER_WORDS for part in folded.split("-"))


def shorten(text: str, limit: int) -> str:
    """``text`` on one line and at most ``limit`` characters, cut between two words (never inside one) with « … »."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)]
    if text[len(cut)] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—(«") + "…"
