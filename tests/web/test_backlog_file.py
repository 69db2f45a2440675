"""A squad's backlog CSV from its page: the download is the command's file byte for byte; an import is simulated
first (the plan, or every problem by line and column) and writes nothing until « Appliquer ces changements », which
checks the carried file again in full; who may import, and what refuses a file (size, encoding, CSRF, links)."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from irritants.db import get_db
from irritants.squads import backlog
from irritants.squads.backlog_csv import export_csv
from irritants.squads.sprints import BacklogItem, BacklogItemChange
from irritants.teams.backlog_file import FILE_MAX_BYTES
from tests.conftest import make_cluster, make_squad

HEADER = "\ufeffid;title;description;points;state;sprint;rank;irritants\r\n"


@pytest.fixture
def world(app) -> dict[str, Any]:
    """A squad with three items (one linked to its irritant, one with a two-line description) and an irritant."""
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous en ligne")
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status="planned", reports=2)
        free = make_cluster(s, "Formulaire qui refuse un IBAN valide", reports=1)
        ids = [
            backlog.create_item(s, None, squad.id, title="Créneaux du samedi", points=3, cluster_ids=[cluster.id]).id,
            backlog.create_item(s, None, squad.id, title="Rappel par SMS", description="Une ligne\net une autre").id,
            backlog.create_item(s, None, squad.id, title="=SOMME(A1) n'est pas une formule").id,
        ]
        s.commit()
        return {"squad": squad, "slug": squad.slug, "items": ids, "cluster": cluster.id, "free": free.id}


def base(w: dict[str, Any]) -> str:
    return f"/agents/equipes/{w['slug']}"


def exported(app, w: dict[str, Any]) -> bytes:
    with app.app_context(), get_db(app).session_scope() as s:
        return export_csv(s, w["squad"].id)


def counts(app) -> tuple[int, int]:
    with get_db(app).session_scope() as s:
        return s.scalar(select(func.count(BacklogItem.id))), s.scalar(select(func.count(BacklogItemChange.id)))


def token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def simulate(client, w: dict[str, Any], data: bytes, name: str = "backlog.csv") -> Any:
    form = {"csrf_token": token(client, base(w) + "/import"), "fichier": (io.BytesIO(data), name)}
    response = client.post(base(w) + "/import", data=form, content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()  # the test client spools a big body to a file it leaves open
    return response


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def apply_form(html: str) -> dict[str, str]:
    start = html.rfind("<form", 0, html.index("/import/application"))
    form = html[start : html.index("</form>", start)]
    return {name: hidden(form, name) for name in ("csrf_token", "contenu", "plan")}


def edited(app, w: dict[str, Any]) -> bytes:
    """The export with item 2 retitled, item 3 estimated at 5 points, and a new item."""
    text = exported(app, w).decode("utf-8")
    two, three = w["items"][1], w["items"][2]
    text = text.replace(f"{two};Rappel par SMS;", f"{two};Rappel par SMS la veille;")
    text = text.replace(
        f"{three};'=SOMME(A1) n'est pas une formule;;;", f"{three};'=SOMME(A1) n'est pas une formule;;5;"
    )
    return (text + ";Annulation en ligne;;2;todo;;4;\r\n").encode("utf-8")


def test_the_download_is_the_commands_file_byte_for_byte_named_by_squad_and_date(app, client, login, world):
    login("manager")  # a reader: downloading is reading
    response = client.get(base(world) + "/backlog.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        rf'attachment; filename="backlog-{world["slug"]}-\d{{4}}-\d{{2}}-\d{{2}}\.csv"',
        response.headers["Content-Disposition"],
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data == exported(app, world)
    assert response.data.startswith(HEADER.encode()) and b"Une ligne\net une autre" in response.data


def test_the_squad_page_links_the_export_to_readers_and_the_import_to_those_who_work_the_items(client, login, world):
    login("manager")
    html = client.get(base(world)).get_data(as_text=True)
    assert "Exporter le backlog (CSV)" in html and "Importer un fichier" not in html
    login("squad_member", squads=[world["squad"]])
    html = client.get(base(world)).get_data(as_text=True)
    assert f'href="{base(world)}/backlog.csv"' in html and f'href="{base(world)}/import">Importer un fichier' in html


def test_the_import_page_explains_the_columns_and_takes_a_csv_file_of_stated_size(client, login, world):
    login("squad_member", squads=[world["squad"]])
    html = client.get(base(world) + "/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert '<label class="fr-label" for="id_fichier">Fichier CSV' in html
    assert 'accept=".csv,text/csv"' in html and "1 Mo au plus" in html
    for column in ("id", "title", "description", "points", "state", "sprint", "rank", "irritants"):
        assert f"<dt><code>{column}</code>" in html


def test_a_simulation_shows_the_plan_and_writes_nothing(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    before, file = counts(app), edited(app, world)
    response = simulate(client, world, file)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Simulation : ce que le fichier changerait" in html
    assert "1 élément créé, 2 éléments modifiés, 1 élément inchangé" in " ".join(html.split())
    assert "<td>Annulation en ligne</td>" in html
    assert f">Élément n° {world['items'][1]}</a></th>\n                <td>titre</td>" in html
    assert f">Élément n° {world['items'][2]}</a></th>\n                <td>points</td>" in html
    assert base64.b64decode(apply_form(html)["contenu"]) == file
    assert counts(app) == before


def test_applying_writes_the_file_as_logged_changes_and_the_next_export_is_the_file(app, client, login, world):
    member = login("squad_member", squads=[world["squad"]])
    file = edited(app, world)
    form = apply_form(simulate(client, world, file).get_data(as_text=True))
    response = client.post(base(world) + "/import/application", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{base(world)}#messages")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import du fichier : 1 élément créé, 2 modifiés." in html
    with get_db(app).session_scope() as s:
        assert s.get(BacklogItem, world["items"][1]).title == "Rappel par SMS la veille"
        actors = set(s.scalars(select(BacklogItemChange.actor_id).where(BacklogItemChange.item_id.in_(world["items"]))))
    assert member.id in actors
    # The new item got its id: the export is the file with that id filled in.
    new_id = max(world["items"]) + 1
    assert exported(app, world) == file.replace(b"\r\n;Annulation", f"\r\n{new_id};Annulation".encode())


def test_a_file_with_problems_names_each_line_and_column_and_writes_nothing(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    before = counts(app)
    file = (HEADER + f"{world['items'][0]};Créneaux;;trois;todo;;;\r\n999999;Inconnu;;;;;;\r\n;;;;fini;;;\r\n").encode()
    response = simulate(client, world, file)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary" role="alert" tabindex="-1" autofocus' in html
    assert "Le fichier contient 4 problèmes : rien n’a été enregistré" in html
    assert '<a href="#problemes">' in html and '<a href="#id_fichier">' in html
    rows = re.findall(r'<tr>\s*<th scope="row">(\d+)</th>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>', html)
    assert [(line, column) for line, column, _ in rows] == [
        ("2", "points"),
        ("3", "identifiant"),
        ("4", "titre"),
        ("4", "état"),
    ]
    assert "Appliquer ces changements" not in html
    assert counts(app) == before


def test_a_file_that_is_not_utf8_is_refused_in_french(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    response = simulate(client, world, (HEADER[1:] + ";Créneaux à l'étage;;;;;;\r\n").encode("latin-1"))
    assert response.status_code == 422
    assert "Le fichier n&#39;est pas en UTF-8 : enregistrez-le en « CSV UTF-8 »." in response.get_data(as_text=True)


def test_a_member_whose_file_links_irritants_is_refused_and_nothing_is_written(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    before = counts(app)
    file = (HEADER + f";Nouveau;;;todo;;;{world['free']}\r\n").encode()
    response = simulate(client, world, file)
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "seuls les responsables produit" in html and "Appliquer ces changements" not in html
    # Posting the apply form by hand is checked the same way.
    form = {"csrf_token": token(client, base(world) + "/import"), "contenu": base64.b64encode(file).decode()}
    response = client.post(base(world) + "/import/application", data=form, content_type="multipart/form-data")
    assert response.status_code == 403
    assert counts(app) == before


def test_a_product_owners_file_links_irritants(app, client, login, world):
    login("product_owner", squads=[world["squad"]])
    file = (HEADER + f";Nouveau;;;todo;;;{world['free']}\r\n").encode()
    form = apply_form(simulate(client, world, file).get_data(as_text=True))
    response = client.post(base(world) + "/import/application", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    with get_db(app).session_scope() as s:
        item = s.scalars(select(BacklogItem).where(BacklogItem.title == "Nouveau")).one()
        assert backlog.linked_irritants(s, item.id) == [world["free"]]


def test_the_carried_file_is_checked_again_in_full_on_apply(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    before = counts(app)
    form = apply_form(simulate(client, world, edited(app, world)).get_data(as_text=True))
    form["contenu"] = base64.b64encode((HEADER + "424242;Inconnu;;;;;;\r\n").encode()).decode()
    response = client.post(base(world) + "/import/application", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "Élément 424242 inconnu" in response.get_data(as_text=True)
    form["contenu"] = "pas du base64 !"
    response = client.post(base(world) + "/import/application", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "envoyez-le à nouveau" in response.get_data(as_text=True)
    assert counts(app) == before


def test_a_backlog_changed_since_the_simulation_shows_the_new_plan_instead_of_applying(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    form = apply_form(simulate(client, world, edited(app, world)).get_data(as_text=True))
    with get_db(app).session_scope() as s:  # meanwhile, someone retitles item 2 as the file does
        backlog.edit_item(s, None, world["items"][1], title="Rappel par SMS la veille")
        s.commit()
    before = counts(app)
    response = client.post(base(world) + "/import/application", data=form, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Le backlog a changé depuis la simulation" in html and "1 élément modifié" in " ".join(html.split())
    assert counts(app) == before


def test_an_oversized_file_is_refused_with_its_limit(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    before = counts(app)
    big = HEADER.encode() + b";" + b"x" * FILE_MAX_BYTES + b";;;;;;\r\n"
    response = simulate(client, world, big)
    assert response.status_code == 413
    assert "Le fichier dépasse 1 Mo" in response.get_data(as_text=True)
    # Beyond the request's own limit, the generic refusal: still nothing written.
    huge = b"x" * (3 * FILE_MAX_BYTES)
    assert simulate(client, world, huge).status_code == 413
    assert counts(app) == before


def test_an_empty_form_asks_for_a_file(client, login, world):
    login("squad_member", squads=[world["squad"]])
    form = {"csrf_token": token(client, base(world) + "/import")}
    response = client.post(base(world) + "/import", data=form, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#id_fichier">Fichier CSV : Choisissez le fichier CSV à importer.</a>' in html
    assert 'aria-invalid="true"' in html


def test_sending_a_file_needs_the_csrf_token(app, client, login, world):
    login("squad_member", squads=[world["squad"]])
    before = counts(app)
    data = {"fichier": (io.BytesIO(edited(app, world)), "backlog.csv")}
    assert client.post(base(world) + "/import", data=data, content_type="multipart/form-data").status_code == 400
    form = {"contenu": base64.b64encode(edited(app, world)).decode()}
    response = client.post(base(world) + "/import/application", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert counts(app) == before


def test_managers_read_but_may_not_import_and_anonymous_callers_sign_in_first(app, client, login, world):
    assert client.get(base(world) + "/backlog.csv").status_code == 302
    assert "/agents/connexion" in client.get(base(world) + "/import").headers["Location"]
    login("manager")
    assert client.get(base(world) + "/import").status_code == 403
    form = {"csrf_token": token(client, base(world)), "fichier": (io.BytesIO(edited(app, world)), "b.csv")}
    assert client.post(base(world) + "/import", data=form, content_type="multipart/form-data").status_code == 403
