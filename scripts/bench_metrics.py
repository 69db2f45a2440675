"""What /metrics costs: requests per second with and without the instruments, in the same run, and the time of one
scrape on a large table of reports.

Fills a fresh, migrated database like ``bench_opendata.py`` (``--reports``, 100,000 by default; a temporary SQLite
file, or ``--postgres URL`` in a new database dropped at the end). Two apps on it, one without ``METRICS_TOKEN``
(nothing measured) and one with it, in prometheus_client's multiprocess mode as gunicorn.conf.py runs them
(counters written to files); 41 rounds of ``BENCH_REQUESTS`` requests (200) through the Flask test client alternate
between the two apps, on a probe (``/healthz``: the instruments' share is largest there) and on a page
(``/mentions-legales``). Prints each app's requests per second of CPU time (the median round's; the wall clock's
too, blurred on a shared machine), the overhead per request, the cost of counting one request alone, and the median
and worst of ``--repeat`` scrapes of /metrics (the queue gauges' queries included).

    .venv/bin/python scripts/bench_metrics.py --reports 100000
    .venv/bin/python scripts/bench_metrics.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

# Before prometheus_client is imported (it picks its mode then), as gunicorn.conf.py does for the workers.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")
    atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], True)

from bench_opendata import main, timed  # noqa: E402

TOKEN = "bench-metrics-token-0123456789"
ROUNDS = 41
PATHS = ("/healthz", "/mentions-legales")


def measure(url: str, repeat: int) -> None:
    from irritants import create_app
    from irritants.monitoring.instruments import instruments_of

    config = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "RATELIMIT_ENABLED": False,
        "PRELOAD_ENCODER": False,
        "JOBS_MODE": "inline",
    }
    plain = create_app(config).test_client()
    metered_app = create_app({**config, "METRICS_TOKEN": TOKEN})
    metered = metered_app.test_client()
    n = int(os.environ.get("BENCH_REQUESTS", "200"))
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    print(f"{ROUNDS} tours alternés de {n} requêtes, mode multiprocessus ({folder})")
    for path in PATHS:
        cpu: dict[str, list[float]] = {"sans": [], "avec": []}
        wall: dict[str, list[float]] = {"sans": [], "avec": []}
        for client in (plain, metered):  # warm-up: templates compiled, connections opened
            for _ in range(50):
                client.get(path)
        for _ in range(ROUNDS):
            for label, client in (("sans", plain), ("avec", metered)):
                begin, begin_cpu = time.perf_counter(), time.process_time()
                for _ in range(n):
                    client.get(path)
                cpu[label].append((time.process_time() - begin_cpu) / n)
                wall[label].append((time.perf_counter() - begin) / n)
        # CPU time of this process: what the other programs of a shared machine do not blur.
        without, with_ = statistics.median(cpu["sans"]), statistics.median(cpu["avec"])
        print(
            f"  {path:<18} sans métriques {1 / without:6.0f} req/s   avec {1 / with_:6.0f} req/s   "
            f"surcoût {(with_ - without) * 1e6:4.0f} µs de CPU par requête ({(with_ / without - 1) * 100:4.1f} %)   "
            f"(horloge : {1 / statistics.median(wall['sans']):.0f} et {1 / statistics.median(wall['avec']):.0f} req/s)"
        )
    meter = instruments_of(metered_app)
    calls = 20_000
    begin = time.process_time()
    for _ in range(calls):
        meter.observe_request("/mentions-legales", "GET", 200, 0.004)
    print(
        f"  compter une requête (compteur + histogramme) : {(time.process_time() - begin) / calls * 1e6:.1f} µs de CPU"
    )
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert metered.get("/metrics", headers=headers).status_code == 200
    median, worst = timed(lambda: metered.get("/metrics", headers=headers), repeat)
    size = len(metered.get("/metrics", headers=headers).data)
    print(f"  GET /metrics        médiane {median * 1000:6.1f} ms   pire {worst * 1000:6.1f} ms   ({size:,} octets)")


if __name__ == "__main__":
    if not any(arg.startswith("--reports") for arg in sys.argv[1:]):
        sys.argv.append("--reports=100000")
    main(measure, __doc__)
