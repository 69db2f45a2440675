"""Who may call an agent's own pages (home, tokens, password, notifications), the accounts' administration, the
exports and ``/api/v1/me``: each route × each kind of caller (matrix.py)."""

from __future__ import annotations

import pytest

from tests.web.authorization.matrix import cases, check_route


@pytest.mark.parametrize(("endpoint", "who"), cases("accounts"))
def test_route_by_caller(matrix_app, matrix_world, endpoint, who):
    check_route(matrix_app, matrix_world, endpoint, who)
