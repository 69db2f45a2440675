"""Who may call a squad's board, backlog items, sprints and backlog file:
each route × each kind of caller (matrix.py)."""

from __future__ import annotations

import pytest

from tests.web.authorization.matrix import cases, check_route


@pytest.mark.parametrize(("endpoint", "who"), cases("team_pages"))
def test_route_by_caller(matrix_app, matrix_world, endpoint, who):
    check_route(matrix_app, matrix_world, endpoint, who)
