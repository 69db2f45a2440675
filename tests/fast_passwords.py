"""Argon2 at its cheapest parameters for the test session (argon2-cffi's ``profiles.CHEAPEST``, made for tests).

With the recommended parameters (``irritants.auth.passwords``) each hash and each check costs about 0.2 s of CPU on
four threads and 64 MiB: the suite sets and checks passwords many hundred times, and the two test processes of
``-n 2`` fought for the cores over them. Hashing, checking, the dummy check for unknown accounts and the upgrade of
weaker hashes keep their code; only the cost parameters change. The production parameters stay under test: a test
that needs them asks for the ``production_password_hashing`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from argon2 import PasswordHasher, profiles

from irritants.auth import passwords


def _install(hasher: PasswordHasher) -> None:
    passwords._hasher = hasher
    # An unknown account is checked against a hash of the same parameters as real ones: same work either way.
    passwords._DUMMY_HASH = hasher.hash("irritants-no-such-account")


def use_cheapest_hashing() -> None:
    """Hash and check passwords at the cheapest parameters in this process (idempotent)."""
    if passwords._hasher.time_cost != profiles.CHEAPEST.time_cost or (
        passwords._hasher.memory_cost != profiles.CHEAPEST.memory_cost
    ):
        _install(PasswordHasher.from_parameters(profiles.CHEAPEST))


@contextlib.contextmanager
def production_hashing() -> Iterator[None]:
    """The recommended parameters (``PasswordHasher()``, what the service uses), for the duration of the block."""
    cheap = passwords._hasher, passwords._DUMMY_HASH
    _install(PasswordHasher())
    try:
        yield
    finally:
        passwords._hasher, passwords._DUMMY_HASH = cheap
