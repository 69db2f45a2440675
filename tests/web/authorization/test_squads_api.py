"""Who may call the squads, sprints and backlog items API:
each route × each kind of caller (matrix.py)."""

from __future__ import annotations

import pytest

from tests.web.authorization.matrix import cases, check_route


@pytest.mark.parametrize(("endpoint", "who"), cases("squads_api"))
def test_route_by_caller(matrix_app, matrix_world, endpoint, who):
    check_route(matrix_app, matrix_world, endpoint, who)
