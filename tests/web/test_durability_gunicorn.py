"""Durability for real: gunicorn workers SIGKILLed while clients post with idempotency keys and retry.
Every acknowledged report must be in the database exactly once."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import report_payload
from tests.gunicorn_server import Gunicorn

pytestmark = pytest.mark.slow

CLIENTS = 8
REPORTS_PER_CLIENT = 25
MAX_ATTEMPTS = 30
RUN_LIMIT_S = 120
MAX_KILLS = 12
MIN_KILLS = 3


def _post_until_acknowledged(
    url: str, key: str, payload: dict, acknowledged: dict, stats: dict, lock: threading.Lock, deadline: float
) -> None:
    for _ in range(MAX_ATTEMPTS):
        if time.monotonic() > deadline:
            return
        try:
            response = requests.post(
                f"{url}/api/v1/reports", json=payload, headers={"Idempotency-Key": key}, timeout=10
            )
        except requests.RequestException:
            with lock:
                stats["connection_errors"] += 1
            time.sleep(0.05)
            continue
        if response.status_code == 201:
            with lock:
                acknowledged[key] = response.json()["reference"]
            return
        with lock:
            stats[f"http_{response.status_code}"] = stats.get(f"http_{response.status_code}", 0) + 1
        time.sleep(0.05)


def test_killed_workers_lose_and_duplicate_nothing(database_url, make_app):
    make_app()  # registers the database cleanup for this test
    acknowledged: dict[str, str] = {}
    stats = {"connection_errors": 0, "kills": 0}
    lock = threading.Lock()
    rng = random.Random(7)
    deadline = time.monotonic() + RUN_LIMIT_S
    # Preloaded: a killed worker is replaced by a fork of the master in milliseconds, not by a new import of the app.
    with Gunicorn(database_url, workers=3, preload=True) as server:
        stop = threading.Event()

        def killer() -> None:
            # Kill a served-for-a-while worker every 0.7 s, a bounded number of times.
            while not stop.wait(0.7) and stats["kills"] < MAX_KILLS:
                pids = server.worker_pids(min_age_s=1.0)
                if pids:
                    try:
                        os.kill(rng.choice(pids), signal.SIGKILL)
                        stats["kills"] += 1
                    except ProcessLookupError:
                        pass

        def client(n: int) -> None:
            # Keep posting until every client sent its share AND enough workers were killed under load.
            i = 0
            while (i < REPORTS_PER_CLIENT or stats["kills"] < MIN_KILLS) and time.monotonic() < deadline:
                key = f"dur-{n}-{i}-{uuid.uuid4()}"
                payload = report_payload(description=f"Client {n}, signalement {i} : le site plante à la validation.")
                _post_until_acknowledged(server.url, key, payload, acknowledged, stats, lock, deadline)
                i += 1

        killer_thread = threading.Thread(target=killer)
        killer_thread.start()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        killer_thread.join()

    assert stats["kills"] >= MIN_KILLS, stats
    assert len(acknowledged) >= CLIENTS * REPORTS_PER_CLIENT, stats
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT idempotency_key, reference FROM reports WHERE idempotency_key LIKE 'api:dur-%'")
            ).all()
    finally:
        engine.dispose()
    stored = {key.removeprefix("api:"): ref for key, ref in rows}
    assert len(rows) == len(stored)  # no key twice
    assert stored == acknowledged  # every acknowledged report, exactly the one acknowledged
