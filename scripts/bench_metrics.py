"""What /metrics costs: requests per second with and without the instruments, in the same run, and the time of one
scrape on a large table of reports.

Fills a fresh, migrated database like ``bench_opendata.py`` (``--reports``, 100,000 by default; a temporary SQLite
file, or ``--postgres URL`` in a new database dropped at the end). Two apps on it, one without
``METRICS_TOKEN`` (nothing measured) and one with it, in prometheus_client's multiprocess mode as gunicorn.conf.py
runs them (counters written to files); rounds of ``BENCH_REQUESTS`` requests (2,000) through the Flask test
client alternate between the two apps, on a probe (``/healthz``: the instruments' share is largest there) and on a page
(``/mentions-legales``). Prints each app's median requests per second, the overhead per request, and the median and
worst of ``--repeat`` scrapes of /metrics (the queue gauges' queries included).

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
ROUNDS = 7
PATHS = ("/healthz", "/mentions-legales")


def measure(url: str, repeat: int) -> None:
    from irritants import create_app

    config = {"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "PRELOAD_ENCODER": False}
    plain = create_app(config).test_client()
    metered_app = create_app({**config, "METRICS_TOKEN": TOKEN})
    metered = metered_app.test_client()
    n = int(os.environ.get("BENCH_REQUESTS", "2000"))
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    print(f"{n} requêtes par tour, {ROUNDS} tours alternés, mode multiprocessus ({folder})")
    for path in PATHS:
        rates: dict[str, list[float]] = {"sans": [], "avec": []}
        for client in (plain, metered):  # warm-up: templates compiled, connections opened
            for _ in range(50):
                client.get(path)
        for _ in range(ROUNDS):
            for label, client in (("sans", plain), ("avec", metered)):
                begin = time.perf_counter()
                for _ in range(n):
                    client.get(path)
                rates[label].append(n / (time.perf_counter() - begin))
        without, with_ = statistics.median(rates["sans"]), statistics.median(rates["avec"])
        overhead_us = (1 / with_ - 1 / without) * 1e6
        print(
            f"  {path:<18} sans métriques {without:7.0f} req/s   avec {with_:7.0f} req/s   "
            f"surcoût {overhead_us:5.0f} µs par requête ({(without / with_ - 1) * 100:4.1f} %)"
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
