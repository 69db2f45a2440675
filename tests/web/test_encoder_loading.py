"""Similar irritants right after a start: the text model loads in the background when the app is created in a
serving process, and until it is ready ``/api/v1/similar`` says "not ready" (503, Retry-After) instead of an
empty list that would mean "nothing is similar"."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import click
import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

from irritants.clustering import EmbeddingEncoder
from irritants.clusters import engine, loading
from irritants.db import get_db
from tests.conftest import make_cluster

LABEL = "Prime d'activité bloquée depuis trois mois, la CAF ne répond pas"
TYPED = "Ma prime d'activité est bloquée et la CAF ne répond pas à mes messages"


@pytest.fixture(scope="module")
def e5() -> EmbeddingEncoder:
    """The real model, built once for this module (the gated loaders below hand it out)."""
    return EmbeddingEncoder()


@dataclass
class Gate:
    loader: loading.EncoderLoader
    asked: threading.Event  # the loader started building the model
    release: threading.Event  # the model may now be built


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch, e5: EmbeddingEncoder) -> Iterator[Gate]:
    """This process's loader, replaced by one whose model is ready only once the test releases it."""
    asked, release = threading.Event(), threading.Event()

    def build(threads: int) -> EmbeddingEncoder:
        asked.set()
        assert release.wait(30), "the test never released the model"
        return e5

    loader = loading.EncoderLoader(build)
    monkeypatch.setattr(loading, "loader", loader)
    yield Gate(loader, asked, release)
    release.set()  # never leave a loading thread behind


def add_cluster(app, e5: EmbeddingEncoder) -> int:
    with app.app_context(), get_db(app).session_scope() as s:
        vector = e5.encode([LABEL])[0]
        cluster = make_cluster(s, LABEL, encoder=e5.name, centroid=engine.to_bytes(vector))
        s.commit()
    # This process's centroid index may still hold an earlier test's irritants (refreshed every few seconds).
    engine.forget_indexes()
    return cluster.id


def test_similar_says_not_ready_while_the_model_loads_then_answers(make_app, gate, e5):
    app = make_app(CLUSTERING_ENCODER="embedding")
    cluster_id = add_cluster(app, e5)
    client = app.test_client()

    response = client.get("/api/v1/similar", query_string={"text": TYPED})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/api/v1/problems/suggestions-not-ready"
    assert problem["title"] == "Suggestions pas encore prêtes"
    assert problem["status"] == 503
    assert "réessayez dans quelques secondes" in problem["detail"]
    assert gate.asked.wait(5), "asking for suggestions starts the load when nothing started it"
    assert not gate.loader.ready.is_set()

    gate.release.set()
    assert gate.loader.ready.wait(10)
    response = client.get("/api/v1/similar", query_string={"text": TYPED})
    assert response.status_code == 200
    assert "Retry-After" not in response.headers
    assert [item["id"] for item in response.get_json()] == [cluster_id]


def test_the_openapi_document_describes_the_not_ready_answer(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/similar"]["get"]
    answer = operation["responses"]["503"]
    assert "suggestions-not-ready" in answer["description"]
    assert "Retry-After" in answer["headers"]
    assert "application/problem+json" in answer["content"]


def test_creating_the_app_starts_loading_the_model_without_waiting_for_it(make_app, gate, e5):
    # A web process: not the testing default, whose tests load the model only when they ask for it.
    app = make_app(CLUSTERING_ENCODER="embedding", PRELOAD_ENCODER=True)

    assert gate.asked.wait(5), "the load started with the app, before any request"
    assert not gate.loader.ready.is_set()  # …and create_app returned while it was still loading

    cluster_id = add_cluster(app, e5)
    gate.release.set()
    assert gate.loader.ready.wait(10)
    response = app.test_client().get("/api/v1/similar", query_string={"text": TYPED})
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()] == [cluster_id]


def test_tests_and_cli_commands_do_not_load_the_model(make_app, gate, monkeypatch):
    make_app(CLUSTERING_ENCODER="embedding")  # the testing configuration
    # A CLI command (here `routes`) builds the app too: commands that need the model load it themselves.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")  # FlaskGroup sets it; restored after the test
    group = FlaskGroup(
        create_app=lambda: make_app(CLUSTERING_ENCODER="embedding", PRELOAD_ENCODER=True), load_dotenv=False
    )
    result = CliRunner().invoke(group, ["routes"])
    assert result.exit_code == 0, result.output

    assert not gate.asked.wait(0.5)


def test_only_the_serving_child_of_flask_run_loads_the_model(monkeypatch):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    run = click.Command("run")
    with click.Context(run, info_name="run") as context:
        context.params = {"reload": False}
        assert loading.serving_process()
        context.params = {"reload": True}
        assert not loading.serving_process()  # the reloader's watcher
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
        assert loading.serving_process()  # the child it restarts, which serves
    assert loading.serving_process()  # no command at all: a WSGI server's worker


def test_the_back_office_page_of_an_irritant_opens_while_the_model_loads(make_app, gate, login):
    # An irritant without a centroid is compared by its label, which needs the model: none shown, no error.
    app = make_app(CLUSTERING_ENCODER="embedding")
    with app.app_context(), get_db(app).session_scope() as s:
        cluster_id = make_cluster(s, LABEL).id
        s.commit()
    client = app.test_client()
    login("manager", on=client)

    response = client.get(f"/agents/irritants/{cluster_id}")

    assert response.status_code == 200
    assert "bloquée depuis trois mois" in response.get_data(as_text=True)
    assert gate.asked.wait(5)  # it did ask for the model, which was not ready
