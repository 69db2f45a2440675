"""Passwords: Argon2id hashing (argon2-cffi's recommended parameters), what a new one must be, generated ones."""

from __future__ import annotations

import secrets

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


def password_problems(password: str, *, min_length: int = 12, email: str | None = None) -> list[str]:
    """Why a new password is refused (French messages); empty when it is acceptable."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Le mot de passe doit contenir au moins {min_length} caractères.")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append("Le mot de passe ne doit pas dépasser 1 024 caractères.")
    if len(set(password)) < 5:
        problems.append("Le mot de passe est trop prévisible : variez davantage les caractères.")
    if email and email.strip().lower() in password.lower():
        problems.append("Le mot de passe ne doit pas contenir l'adresse électronique.")
    return problems


def generate_password() -> str:
    """A random password of 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)
