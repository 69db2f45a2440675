"""Right after a start, the report form asks once more for similar irritants when the server says its text model is
not ready yet, shows them if it is by then, and otherwise gives up quietly: the form never depends on them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from irritants.clustering import EmbeddingEncoder
from irritants.clusters import engine
from irritants.db import get_db
from tests.browser.test_report_form import assert_accessible
from tests.conftest import make_cluster
from tests.gunicorn_server import Gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LABEL = "Prime d'activité bloquée depuis trois mois, la CAF ne répond pas"
TYPED = "Ma prime d'activité est bloquée et la CAF ne répond pas à mes messages."


@dataclass
class Starting:
    server: Gunicorn
    gate: Path  # created by the test: the worker's model may then finish loading
    cluster_id: int
    answers: list[int] = field(default_factory=list)  # statuses of /api/v1/similar, in order

    def watch(self, page) -> None:
        page.on("response", lambda r: self.answers.append(r.status) if "/api/v1/similar" in r.url else None)


@pytest.fixture
def starting(database_url, make_app, tmp_path) -> Iterator[Starting]:
    """A gunicorn worker whose model loads only once the test opens the gate, and one irritant to suggest."""
    app = make_app()  # cleans up after the test
    e5 = EmbeddingEncoder()
    with app.app_context(), get_db(app).session_scope() as s:
        cluster = make_cluster(s, LABEL, encoder=e5.name, centroid=engine.to_bytes(e5.encode([LABEL])[0]))
        s.commit()
    gate = tmp_path / "model-may-load"
    env = {
        "TEST_MODEL_GATE": str(gate),
        "IRRITANTS_CLUSTERING_ENCODER": "embedding",
        "IRRITANTS_EMBEDDING_THREADS": "1",
        "IRRITANTS_FORM_MIN_FILL_SECONDS": "1",
        "IRRITANTS_JOBS_MODE": "worker",  # no Redis: reports stay pending, nothing else asks for the model
        "IRRITANTS_PRELOAD_ENCODER": "true",
    }
    with Gunicorn(database_url, workers=1, threads=4, env=env, app="tests.browser.gated_model_wsgi:app") as server:
        yield Starting(server, gate, cluster.id)
        gate.touch()  # let the worker's loading thread end


def test_the_form_asks_once_more_and_shows_suggestions_once_the_model_is_ready(starting, page):
    starting.watch(page)
    page.goto(starting.server.url + "/")
    with page.expect_response(lambda r: "/api/v1/similar" in r.url) as first:
        page.fill("#id_description", TYPED)
    assert first.value.status == 503
    assert first.value.headers["retry-after"] == "2"
    assert first.value.json()["type"] == "/api/v1/problems/suggestions-not-ready"

    starting.gate.touch()  # the model finishes loading during the 2 s the page waits
    suggestion = page.locator(f"#similar-irritants a[href='/irritants/{starting.cluster_id}']")
    suggestion.wait_for(timeout=10_000)
    assert "Ces irritants ressemblent" in page.locator("#similar-irritants h3").inner_text()
    assert starting.answers == [503, 200]
    assert page.evaluate("document.activeElement.id") == "id_description"
    assert_accessible(page)


def test_the_form_gives_up_quietly_when_the_model_is_still_not_ready(starting, page):
    starting.watch(page)
    page.goto(starting.server.url + "/")
    started = time.monotonic()
    with page.expect_response(lambda r: "/api/v1/similar" in r.url and r.status == 503):
        page.fill("#id_description", TYPED)
    with page.expect_response(lambda r: "/api/v1/similar" in r.url, timeout=10_000):
        pass  # the one retry, Retry-After (2 s) later
    page.wait_for_timeout(4_000)  # longer than any further Retry-After: no third request

    assert starting.answers == [503, 503]
    assert page.locator("#similar-irritants").inner_text() == ""
    page.select_option("#id_administration", "caf")
    page.select_option("#id_territory", "59")
    page.locator("label[for=id_channel]").click()
    page.locator("label[for=id_severity]").click()
    time.sleep(max(0.0, 1.2 - (time.monotonic() - started)))
    page.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_url(re.compile(r".*/confirmation$"))
    assert "bien été enregistré" in page.content()
