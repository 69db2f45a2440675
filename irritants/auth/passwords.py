"""Passwords: Argon2id hashing (argon2-cffi's recommended parameters), what a new one must be, generated ones."""

from __future__ import annotations

import functools
import gzip
import re
import secrets
import unicodedata
from collections.abc import Iterable
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MAX_LENGTH = 1024  # Argon2 hashes anything, but a megabyte "password" is only a way to burn CPU
_hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("irritants-no-such-account")


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends the same work, even without a hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


# Common and breached passwords (ASVS 6.2.4, 6.2.12): a list bundled with the package (auth/data/README.md says
# where it comes from), never an outside call.
COMMON_PASSWORDS_FILE = "common-passwords.txt.gz"
COMMON_MESSAGE = (
    "Ce mot de passe figure parmi les plus courants des listes de mots de passe divulgués : un attaquant "
    "l'essaierait parmi les premiers. Choisissez-en un autre, par exemple une phrase de quelques mots."
)
COMMON_BASE_MESSAGE = (
    "Ce mot de passe n'ajoute que des chiffres ou des signes à un mot de passe très courant, que les attaquants "
    "essaient ainsi complété : choisissez-en un autre, par exemple une phrase de quelques mots."
)
# Words of this service that an attacker tries first (ASVS 6.2.11); the administrations' names come from the
# referential (auth.services.password_context_words).
SERVICE_WORDS = ("irritants", "irritant", "signalement", "signalements", "beta.gouv", "betagouv", "startup d'État")
# What must be left of a password once the context words, digits and signs are taken out.
CONTEXT_REMAINDER = 8
_AFFIXES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lower case), read once per process."""
    raw = resources.files("irritants.auth").joinpath("data", COMMON_PASSWORDS_FILE).read_bytes()
    return frozenset(line.strip() for line in gzip.decompress(raw).decode("utf-8").splitlines() if line.strip())


def _plain(text: str) -> str:
    """Lower case, no accents, letters and digits only: « Béta.Gouv » and « betagouv » compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def is_common(password: str) -> str | None:
    """Why ``password`` is a common one (a message), or None: listed as typed (in lower case), or a listed one of
    4 characters or more with only digits or signs before or after it (« motdepasse2026! »)."""
    lowered = password.strip().lower()
    listed = common_passwords()
    if lowered in listed:
        return COMMON_MESSAGE
    core = _AFFIXES.sub("", lowered)
    return COMMON_BASE_MESSAGE if len(core) >= 4 and core in listed else None


def context_word_in(password: str, words: Iterable[str]) -> str | None:
    """The context word ``password`` rests on, if any: once every such word (3 letters or more), digit and sign is
    taken out, fewer than ``CONTEXT_REMAINDER`` letters are left (« Signalement2026! », « caf-paris-75 »)."""
    plain = _plain(password)
    covered = [False] * len(plain)
    found: dict[str, int] = {}
    spelled: dict[str, str] = {}  # each plain form, as the list first spells it (« France Travail »)
    for word in words:
        spelled.setdefault(_plain(word), word)
    for word in spelled:
        if len(word) < 3:
            continue
        start = plain.find(word)
        while start != -1:
            covered[start : start + len(word)] = [True] * len(word)
            found[word] = found.get(word, 0) + len(word)
            start = plain.find(word, start + 1)
    if not found:
        return None
    left = sum(1 for c, hidden in zip(plain, covered, strict=True) if not hidden and not c.isdigit())
    # Named: the word that covers the most of the password (the longest on a tie).
    return spelled[max(found, key=lambda w: (found[w], len(w)))] if left < CONTEXT_REMAINDER else None


def password_problems(
    password: str, *, min_length: int = 12, email: str | None = None, context_words: Iterable[str] = ()
) -> list[str]:
    """Why a new password is refused (French messages); empty when it is acceptable. ``context_words``: the names
    an attacker of this service tries first besides ``SERVICE_WORDS`` (the administrations of the referential)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Le mot de passe doit contenir au moins {min_length} caractères.")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append("Le mot de passe ne doit pas dépasser 1 024 caractères.")
    if len(set(password)) < 5:
        problems.append("Le mot de passe est trop prévisible : variez davantage les caractères.")
    if email and email.strip().lower() in password.lower():
        problems.append("Le mot de passe ne doit pas contenir l'adresse électronique.")
    if len(password) <= PASSWORD_MAX_LENGTH:
        common = is_common(password)
        if common:
            problems.append(common)
        word = context_word_in(password, (*SERVICE_WORDS, *context_words))
        if word:
            problems.append(
                f"Le mot de passe repose sur « {word} », un mot lié à ce service ou aux administrations qu'il "
                "concerne, que les attaquants essaient en premier : ajoutez d'autres mots ou choisissez-en un autre."
            )
    return problems


def generate_password() -> str:
    """A random password of 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)
