"""The matrix's app and world, one of each per test module (see matrix.py)."""

from __future__ import annotations

import pytest

from tests.conftest import module_app
from tests.web.authorization.matrix import Principal, World, Worlds


@pytest.fixture(scope="module")
def matrix_app(database_url, tmp_path_factory):
    """One app for the module (building one per case cost as much as the case): CSRF is proven by its own tests;
    here only the policy decides. Each case still starts from the same database, see ``matrix_world``. Its instance
    folder (background exports' files) is the module's own."""
    yield from module_app(database_url, tmp_path_factory, WTF_CSRF_ENABLED=False)


@pytest.fixture(scope="module")
def worlds(matrix_app) -> Worlds:
    return Worlds(matrix_app)


@pytest.fixture
def matrix_world(worlds: Worlds) -> tuple[World, dict[str, Principal]]:
    """The world and its principals, in the database exactly as ``build_world`` leaves it."""
    return worlds.get()
