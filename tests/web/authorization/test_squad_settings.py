"""Who may call a squad's « fiche », the squads' administration and the squad's webhooks:
each route × each kind of caller (matrix.py)."""

from __future__ import annotations

import pytest

from tests.web.authorization.matrix import cases, check_route


@pytest.mark.parametrize(("endpoint", "who"), cases("squad_settings"))
def test_route_by_caller(matrix_app, matrix_world, endpoint, who):
    check_route(matrix_app, matrix_world, endpoint, who)
