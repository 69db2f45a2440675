"""A real gunicorn worker (as ``./scripts/run`` starts them) loads the text model when it starts, before anyone
asks for similar irritants."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from irritants.clustering import EmbeddingEncoder
from irritants.clusters import engine
from irritants.db import get_db
from tests.conftest import make_cluster
from tests.gunicorn_server import Gunicorn

pytestmark = pytest.mark.slow

LABEL = "Prime d'activité bloquée depuis trois mois, la CAF ne répond pas"
TYPED = "Ma prime d'activité est bloquée et la CAF ne répond pas à mes messages"
MODEL_FILE = "e5-small-q4.bin"  # mapped into the process by the model's loader


def model_mapped(pid: int) -> bool:
    try:
        return MODEL_FILE in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_a_gunicorn_worker_loads_the_model_before_the_first_request_for_suggestions(make_app, database_url):
    app = make_app()  # cleans up after the test
    e5 = EmbeddingEncoder()
    with app.app_context(), get_db(app).session_scope() as s:
        cluster = make_cluster(s, LABEL, encoder=e5.name, centroid=engine.to_bytes(e5.encode([LABEL])[0]))
        s.commit()

    env = {
        "IRRITANTS_CLUSTERING_ENCODER": "embedding",
        "IRRITANTS_EMBEDDING_THREADS": "1",
        "IRRITANTS_PRELOAD_ENCODER": "true",
    }
    with Gunicorn(database_url, workers=1, threads=2, env=env) as server:
        (worker,) = server.worker_pids()
        deadline = time.monotonic() + 30
        while not model_mapped(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert model_mapped(worker), "the worker did not load the model on its own"

        # Only now the first request for suggestions: ready, or ready after the delay it gives.
        for _ in range(10):
            response = requests.get(f"{server.url}/api/v1/similar", params={"text": TYPED}, timeout=10)
            if response.status_code != 503:
                break
            time.sleep(int(response.headers["Retry-After"]))
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()] == [cluster.id]
