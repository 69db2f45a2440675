"""The squad's board and « correctif livré »: the invitation when every item linked to one of its irritants is done
(never before, never for a fixed one), the form for its product owners only, the declaration from the board (same
schema and service as the irritant's page and the API: audited, fixed on the day given), the notice when a fixed
irritant's item is reopened, the refusals shown on the board with nothing written; and the active sprint's
burndowns (points, people) on the board with their tables."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.squads import backlog
from irritants.squads.sprint_services import create_sprint, start_sprint
from irritants.squads.sprints import ItemState
from irritants.status import StatusKind
from irritants.triage import fixes
from tests.conftest import make_cluster, make_squad

S = StatusKind
TODAY = fixes.today()
NOTE = "Les créneaux du samedi sont ouverts dans toutes les préfectures."


@pytest.fixture
def world(app) -> dict[str, Any]:
    """Squad A: an active sprint, an irritant in progress worked by two items (one done, one in progress), another
    irritant already fixed whose one item is done; squad B with an irritant of its own."""
    with get_db(app).session_scope() as s:
        squad, other = make_squad(s, "Rendez-vous en ligne"), make_squad(s, "Aides au logement")
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status=S.IN_PROGRESS)
        fixed = make_cluster(s, "Confirmation jamais reçue", squad_id=squad.id, status=S.FIXED)
        elsewhere = make_cluster(s, "Dossier APL bloqué", squad_id=other.id, status=S.IN_PROGRESS)
        start = TODAY - dt.timedelta(days=2)
        sprint = create_sprint(s, None, squad.id, starts_on=start, ends_on=start + dt.timedelta(days=11))
        start_sprint(s, None, sprint.id)

        def item(title: str, cluster_id: int, state: ItemState, points: int = 3) -> int:
            made = backlog.create_item(s, None, squad.id, title=title, points=points, sprint_id=sprint.id,
                                       cluster_ids=[cluster_id])  # fmt: skip
            backlog.change_state(s, None, made.id, state)
            return made.id

        ids = {
            "done": item("Créneaux du samedi", cluster.id, ItemState.DONE),
            "doing": item("Créneaux du soir", cluster.id, ItemState.IN_PROGRESS, points=2),
            "fixed_item": item("Courriel de confirmation", fixed.id, ItemState.DONE),
        }
        s.commit()
        return {**ids, "squad": squad, "other": other, "slug": squad.slug, "cluster": cluster.id, "fixed": fixed.id,
                "elsewhere": elsewhere.id}  # fmt: skip


def page_url(w: dict[str, Any]) -> str:
    return f"/agents/equipes/{w['slug']}"


def fix_url(w: dict[str, Any], cluster: str = "cluster") -> str:
    return f"{page_url(w)}/irritants/{w[cluster]}/correctif"


def finish(app, item_id: int, state: ItemState = ItemState.DONE) -> None:
    with get_db(app).session_scope() as s:
        backlog.change_state(s, None, item_id, state)
        s.commit()


def read(app, cluster_id: int) -> Cluster:
    with get_db(app).session_scope() as s:
        return s.get(Cluster, cluster_id)


def events(app) -> int:
    with get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(Event))


def fix_form(client, w: dict[str, Any]) -> dict[str, str]:
    """What the board's fix form posts besides its fields: the CSRF token and the irritant's version."""
    html = client.get(page_url(w)).get_data(as_text=True)
    form = html[html.index(f'id="correctif-{w["cluster"]}"') :]
    return {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
        "expected_version": re.search(r'name="expected_version" value="(\d+)"', form).group(1),
    }


def test_the_invitation_appears_only_once_every_linked_item_is_done_and_never_for_a_fixed_irritant(
    app, client, login, world
):
    login("product_owner", squads=[world["squad"]])
    html = client.get(page_url(world)).get_data(as_text=True)
    assert f'id="invitation-correctif-{world["cluster"]}"' not in html  # one item still in progress
    assert f'id="invitation-correctif-{world["fixed"]}"' not in html  # already fixed, its item done
    assert 'id="correctifs"' not in html

    finish(app, world["doing"])
    html = client.get(page_url(world)).get_data(as_text=True)
    assert f'id="invitation-correctif-{world["cluster"]}"' in html
    assert (
        f"Tous les éléments liés à l’irritant n° {world['cluster']} « Aucun créneau de rendez-vous » sont faits : "
        "déclarez le correctif livré." in html
    )
    assert f'id="invitation-correctif-{world["fixed"]}"' not in html
    # The product owner gets the form: today (Paris) by default, the public note, the irritant's version.
    assert f'action="{fix_url(world)}"' in html
    assert f'id="correctif-{world["cluster"]}-date_livraison" name="date_livraison" value="{TODAY.isoformat()}"' in html
    assert f'id="correctif-{world["cluster"]}-note_publique" name="note_publique"' in html


@pytest.mark.parametrize("roles", [("squad_member",), ("manager",)])
def test_who_may_not_declare_reads_the_invitation_with_a_link_and_no_form(app, client, login, world, roles):
    finish(app, world["doing"])
    login(*roles, squads=[world["squad"]] if roles == ("squad_member",) else [])
    html = client.get(page_url(world)).get_data(as_text=True)
    assert f'id="invitation-correctif-{world["cluster"]}"' in html
    assert f'action="{fix_url(world)}"' not in html and 'name="note_publique"' not in html
    assert f'href="/agents/irritants/{world["cluster"]}">L’irritant n° {world["cluster"]} dans le suivi' in html


def test_a_member_posting_the_fix_anyway_is_refused_and_nothing_changes(app, client, login, world):
    finish(app, world["doing"])
    login("squad_member", squads=[world["squad"]])
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page_url(world)).get_data(as_text=True))
    before = events(app)
    data = {"csrf_token": token.group(1), "date_livraison": TODAY.isoformat(), "note_publique": NOTE}
    assert client.post(fix_url(world), data=data).status_code == 403
    assert read(app, world["cluster"]).status == S.IN_PROGRESS and events(app) == before


def test_the_product_owner_declares_the_fix_from_the_board(app, client, login, world):
    finish(app, world["doing"])
    agent = login("product_owner", squads=[world["squad"]])
    day = TODAY  # its reports are from today: no earlier day is allowed
    data = {**fix_form(client, world), "date_livraison": day.isoformat(), "note_publique": NOTE}
    response = client.post(fix_url(world), data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith(page_url(world))
    cluster = read(app, world["cluster"])
    assert (cluster.status, cluster.fixed_on) == (S.FIXED, day)
    with get_db(app).session_scope() as s:
        event = s.scalars(select(Event).where(Event.cluster_id == cluster.id).order_by(Event.id.desc())).first()
        assert (event.action, event.actor_id, event.public_note) == ("cluster.status", agent.id, NOTE)
        assert event.after["status"] == "fixed"

    html = client.get(page_url(world)).get_data(as_text=True)
    assert f"Correctif livré le {day:%d/%m/%Y} : l&#39;irritant n° {cluster.id} est « Corrigé »." in html
    assert f'id="invitation-correctif-{cluster.id}"' not in html


def test_a_fixed_irritant_whose_item_is_reopened_shows_the_notice_and_stays_fixed(app, client, login, world):
    finish(app, world["fixed_item"], ItemState.IN_PROGRESS)
    login("squad_member", squads=[world["squad"]])
    html = client.get(page_url(world)).get_data(as_text=True)
    assert f'id="rouvert-apres-correctif-{world["fixed"]}"' in html
    assert (
        f"L’irritant n° {world['fixed']} est déclaré corrigé mais l’élément « Courriel de confirmation » a été rouvert "
        ": à vous de décider (rouvrir l’irritant ou terminer l’élément)." in html
    )
    assert f'href="/agents/irritants/{world["fixed"]}"' in html
    assert read(app, world["fixed"]).status == S.FIXED


@pytest.mark.parametrize(
    ("fields", "status", "words", "field"),
    [
        ({"date_livraison": (TODAY + dt.timedelta(days=1)).isoformat()}, 422, "ne peut pas être dans le futur", "date"),
        ({"note_publique": "  "}, 422, "Rédigez la note publique", "note"),
        ({"date_livraison": "18/12/2026"}, 422, "AAAA-MM-JJ", "date"),
        ({"expected_version": "999"}, 409, "modifié entre-temps", None),
    ],
)
def test_a_refused_declaration_is_shown_on_the_board_and_writes_nothing(
    app, client, login, world, fields, status, words, field
):
    finish(app, world["doing"])
    login("product_owner", squads=[world["squad"]])
    data = {**fix_form(client, world), "date_livraison": TODAY.isoformat(), "note_publique": NOTE, **fields}
    before, version = events(app), read(app, world["cluster"]).version
    response = client.post(fix_url(world), data=data)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == status
    assert words in html
    key = f"correctif-{world['cluster']}"
    assert f'id="{key}-erreur"' in html and "Le correctif n’a pas été déclaré" in html
    if field == "date":
        assert f'id="{key}-date_livraison-error"' in html
    if field == "note":
        assert f'id="{key}-note_publique-error"' in html
    else:
        assert f">{NOTE}</textarea>" in html  # what was typed is kept
    cluster = read(app, world["cluster"])
    assert (cluster.status, cluster.version, cluster.fixed_on) == (S.IN_PROGRESS, version, None)
    assert events(app) == before


def test_another_squads_irritant_cannot_be_declared_from_this_board(app, client, login, world):
    login("admin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page_url(world)).get_data(as_text=True))
    data = {"csrf_token": token.group(1), "date_livraison": TODAY.isoformat(), "note_publique": NOTE}
    assert client.post(fix_url(world, "elsewhere"), data=data).status_code == 404
    assert read(app, world["elsewhere"]).status == S.IN_PROGRESS


def test_the_board_shows_the_active_sprints_burndowns_in_points_and_people_with_their_tables(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    html = client.get(page_url(world)).get_data(as_text=True)
    assert "Progression du sprint 1" in html
    assert 'href="/agents/equipes/rendez-vous-en-ligne/sprints/1#avancement"' in html
    for chart in ("equipe-burndown-points", "equipe-burndown-personnes"):
        assert f'<svg class="irritants-chart" id="{chart}"' in html
        assert f'id="{chart}-tableau"' in html
    assert "Burndown en points du sprint 1" in html and "Burndown en personnes du sprint 1" in html
    # The table says the same as the chart: today, of the sprint's 8 points, the item in progress (2) remains.
    table = html[html.index('id="equipe-burndown-points-tableau"') :]
    cells = r"\s*<td>([^<]+)</td>\s*<td>[^<]+</td>\s*<td>([^<]+)</td>"
    today = re.search(rf'<th scope="row">{TODAY:%d/%m/%Y}</th>{cells}', table)
    assert today.groups() == ("2", "8")


def test_a_board_without_an_active_sprint_shows_no_progress(app, client, login):
    with get_db(app).session_scope() as s:
        make_squad(s, "Sans sprint")
        s.commit()
    login("manager")
    html = client.get("/agents/equipes/sans-sprint").get_data(as_text=True)
    assert "Progression du sprint" not in html and "irritants-chart" not in html
