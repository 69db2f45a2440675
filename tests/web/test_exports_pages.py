"""The « Exporter » page and its files, through the Flask test client: managers and admins only, small exports
streamed at once, large ones prepared in the background for their requester, and the ``export`` command."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from irritants import jobs
from irritants.db import get_db
from irritants.exports.models import ExportRequest, ExportState
from irritants.french import today
from tests.conftest import make_user, sign_in
from tests.exports_data import HOSTILE_REDACTED_START, build, raw_text, read_back


@pytest.fixture
def world(app):
    with app.app_context(), get_db(app).session_scope() as session:
        return build(session)


def token(client) -> str:
    html = client.get("/agents/exports").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_page_shows_the_form_with_the_dashboards_filters(client, world):
    sign_in(client, world.manager)
    response = client.get(f"/agents/exports?what=irritants&format=parquet&squad={world.squad_slug}&from=2026-10-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="irritants" checked' in html and 'value="parquet" checked' in html
    assert f'value="{world.squad_slug}" selected' in html and 'value="2026-10-01"' in html
    assert "Aucun export préparé en arrière-plan" in html


@pytest.mark.parametrize("role", ["product_owner", "squad_member"])
def test_product_owners_and_members_may_not_export(app, client, role):
    with app.app_context(), get_db(app).session_scope() as session:
        user = make_user(session, role)
        session.commit()
    sign_in(client, user)
    assert client.get("/agents/exports").status_code == 403
    assert client.get("/agents/exports/fichier?what=reports&format=csv").status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_a_small_export_streams_at_once(client, world, fmt):
    sign_in(client, world.manager)
    start = (today() - dt.timedelta(days=30)).isoformat()
    response = client.get(f"/agents/exports/fichier?what=reports&format={fmt}&from={start}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(rf'attachment; filename="?signalements-{start}-\d{{4}}-\d\d-\d\d\.{fmt}"?',
                        response.headers["Content-Disposition"])  # fmt: skip
    data = response.get_data()
    rows = {int(r["id"]): r for r in read_back(fmt, data)}
    assert len(rows) == 9
    assert HOSTILE_REDACTED_START in rows[world.hostile]["texte"]
    assert not [secret for secret in world.secrets if secret in raw_text(fmt, data)]


def test_the_filters_of_the_link_narrow_the_file(client, world):
    sign_in(client, world.manager)
    response = client.get("/agents/exports/fichier?what=reports&format=csv&administration=france-travail")
    assert [r["administration"] for r in read_back("csv", response.get_data())] == ["France Travail"]


def test_wrong_choices_and_filters_are_said_in_french(client, world):
    sign_in(client, world.manager)
    response = client.get("/agents/exports/fichier?what=tout&format=pdf&territory=2C&squad=inconnue")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Choisissez les données à exporter.", "Choisissez un format : CSV, XLSX ou Parquet.",
                    "Code de département invalide (ex. 59, 2A, 974)."):  # fmt: skip
        assert message in html
    unknown = client.get("/agents/exports/fichier?what=squads&format=csv&squad=inconnue")
    assert unknown.status_code == 422 and "Start-up d&#39;État inconnue." in unknown.get_data(as_text=True)


def test_the_form_sends_a_small_export_to_its_file(client, world):
    sign_in(client, world.manager)
    form = {"csrf_token": token(client), "what": "squads", "format": "csv", "squad": world.squad_slug}
    response = client.post("/agents/exports", data=form)
    assert response.status_code == 303
    assert "/agents/exports/fichier?" in response.headers["Location"] and "what=squads" in response.headers["Location"]
    assert [r["slug"] for r in read_back("csv", client.get(response.headers["Location"]).get_data())] == [
        world.squad_slug
    ]


def test_the_form_needs_its_csrf_token(client, world):
    sign_in(client, world.manager)
    assert client.post("/agents/exports", data={"what": "reports", "format": "csv"}).status_code == 400


def test_a_large_export_is_prepared_in_the_background_for_its_requester(make_app, tmp_path):
    app = make_app(INSTANCE_PATH=str(tmp_path), EXPORT_STREAM_MAX=3)
    with app.app_context(), get_db(app).session_scope() as session:
        world = build(session)
        other = make_user(session, "manager")
        session.commit()
    # The status notices of the world's decisions go first: inline, the runner does every job's work in the request.
    jobs.drain(app)
    client = app.test_client()
    sign_in(client, world.manager)
    link = client.get("/agents/exports/fichier?what=reports&format=xlsx")  # the dashboard's link: too large
    html = link.get_data(as_text=True)
    assert link.status_code == 200 and "Export volumineux : 9 lignes" in html
    assert "Préparer l’export en arrière-plan" in html
    form = {"csrf_token": token(client), "what": "reports", "format": "xlsx"}
    response = client.post("/agents/exports", data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith("/agents/exports#mes-exports")
    with app.app_context(), get_db(app).session_scope() as session:
        queued = session.query(ExportRequest).one()
        assert (queued.state, queued.rows, queued.requested_by_id) == (ExportState.READY, 9, world.manager.id)
    page = client.get("/agents/exports").get_data(as_text=True)  # the inline runner built it after the commit
    assert f"Télécharger l’export n° {queued.id}" in page and "Prêt" in page
    download = client.get(f"/agents/exports/{queued.id}/fichier")
    assert download.status_code == 200
    assert len(read_back("xlsx", download.get_data())) == 9
    stranger = app.test_client()
    sign_in(stranger, other)
    assert stranger.get(f"/agents/exports/{queued.id}/fichier").status_code == 404
    assert f"export n° {queued.id}" not in stranger.get("/agents/exports").get_data(as_text=True)


def test_the_export_command_writes_the_file_with_the_filters_as_options(app, runner, world, tmp_path):
    target = tmp_path / "irritants.xlsx"
    result = runner.invoke(args=["export", "--what", "irritants", "--format", "xlsx", "--output", str(target),
                                 "--squad", world.squad_slug])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 ligne exportée" in result.output
    assert [r["id"] for r in read_back("xlsx", target.read_bytes())] == [world.cluster]


def test_the_export_command_refuses_bad_filters_in_french(app, runner, world, tmp_path):
    command = ["export", "--what", "reports", "--format", "csv", "--output", str(tmp_path / "x.csv")]
    result = runner.invoke(args=[*command, "--from", "2026-13-01", "--administration", "nulle-part"])
    assert result.exit_code == 1
    assert "--from : Date de début invalide (AAAA-MM-JJ)." in result.output
    unknown = runner.invoke(args=[*command, "--administration", "nulle-part"])
    assert unknown.exit_code == 1 and "--administration : Administration inconnue." in unknown.output
    procedure = runner.invoke(args=[*command, "--procedure", "caf/nulle-part"])
    assert procedure.exit_code == 1 and "--procedure : Démarche inconnue." in procedure.output


def test_the_agents_home_links_to_the_exports_for_those_who_may(app, client, world):
    sign_in(client, world.manager)
    assert 'href="/agents/exports">Exporter les données' in client.get("/agents/").get_data(as_text=True)
    with app.app_context(), get_db(app).session_scope() as session:
        owner = make_user(session, "product_owner")
        session.commit()
    sign_in(client, owner)
    assert "Exporter les données" not in client.get("/agents/").get_data(as_text=True)
