"""The fix effect in a real browser: the public irritant page's chart (bars before and after, the fix day marked) and
its table, and a squad's line, with zero axe-core violations."""

from __future__ import annotations

import datetime as dt

import pytest

from irritants.db import get_db
from irritants.french import PARIS, today
from irritants.status import StatusKind
from tests.browser.test_report_form import assert_accessible
from tests.conftest import make_cluster, make_report, make_squad

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def data(make_app):
    app = make_app()
    fixed_on = today() - dt.timedelta(weeks=8)
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        cluster = make_cluster(
            s, "Aucun créneau de rendez-vous", reports=0, squad_id=squad.id, status=StatusKind.FIXED, fixed_on=fixed_on
        )
        for week, count in enumerate([3, 4, 2, 3, 5, 3, 4, 3, 1, 0, 1, 0, 0, 1, 0, 0]):
            for n in range(count):
                day = fixed_on + dt.timedelta(weeks=week - 8, days=n)
                when = dt.datetime.combine(day, dt.time(11), tzinfo=PARIS).astimezone(dt.UTC)
                make_report(
                    s, cluster=cluster, created_at=when, description=f"Pas de créneau, semaine {week}, cas {n}."
                )
        cluster.size = cluster.people = 30
        cluster.fixed_at = dt.datetime.combine(fixed_on, dt.time(11), tzinfo=PARIS).astimezone(dt.UTC)
        s.commit()
        yield cluster.id, squad.slug


def test_the_public_irritant_page_draws_the_fix_effect_accessibly(server, page, data):
    cluster_id, slug = data
    page.goto(f"{server.url}/irritants/{cluster_id}")
    assert page.locator("#effet-correctif-verdict").inner_text().lower() == "baisse nette"
    chart = page.locator("svg#effet-correctif-graphique")
    assert chart.get_attribute("role") == "img"
    assert chart.locator(".irritants-chart__rule").count() == 1
    # A bar a week (a week without report: a flat one), and the legend's two.
    assert chart.locator("rect.irritants-chart__bar").count() == 16 + 2
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert page.locator("#effet-correctif-tableau tbody tr").count() == 16
    assert_accessible(page)

    page.goto(f"{server.url}/startups/{slug}")
    assert "baisse nette" in page.locator(f"#effet-correctif-{cluster_id}").inner_text().lower()
    assert_accessible(page)
