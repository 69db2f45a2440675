"""Time and memory of the exports (irritants/exports) over N generated reports in a fresh database.

A figure, not a test: it builds ``--reports`` reports (100,000 by default) in a temporary SQLite file (or, with
``--postgres URL``, in a new database next to it, dropped at the end), then writes the reports export in each format
to a temporary file, as the background runner and the command do (chunks of ``tables.CHUNK`` rows), and prints the
time, the rows per second and the process's peak resident memory after each format. Chunked reading keeps the peak
flat whatever N: compare two runs with different ``--reports``.

Usage (from the repository root)::

    .venv/bin/python scripts/bench_exports.py [--reports 100000] [--postgres postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_intake import fresh_postgres_database, prepare_database  # noqa: E402

BATCH = 5000


def fill(url: str, n: int) -> None:
    """Insert ``n`` demo reports with Core inserts (no clustering: exports read what is there)."""
    from sqlalchemy import insert, select

    from irritants.db import make_engine
    from irritants.intake.demo import generate_reports
    from irritants.intake.models import Report
    from irritants.referential.models import Administration
    from irritants.referential.services import bundled_codes

    admins, territories, channels = bundled_codes()
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(Administration.slug, Administration.id)).all())
    done = 0
    while done < n:
        size = min(BATCH, n - done)
        rows = generate_reports(size, seed=done, administrations=admins, territories=territories, channels=channels,
                                now=now)  # fmt: skip
        values = [
            {
                "reference": secrets.token_hex(8), "tracking_token_hash": secrets.token_hex(32),
                "token_seed": secrets.token_hex(16), "description": row["description"],
                "administration_id": ids[row["administration"]], "territory_code": row["territory"],
                "channel_code": row["channel"], "severity": row["severity"],
                "created_at": now - dt.timedelta(minutes=(done + i) % (80 * 24 * 60)),
            }
            for i, row in enumerate(rows)
        ]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(Report), values)
        done += size
    engine.dispose()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL: the run uses a new database next to it")
    args = parser.parse_args()
    from irritants import create_app
    from irritants.db import get_db
    from irritants.exports import services
    from irritants.exports.tables import What
    from irritants.exports.writers import Format
    from irritants.insights.filters import load_filters
    from irritants.settings import FixEffectSettings

    with tempfile.TemporaryDirectory(prefix="irritants-exports-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        url = stack.enter_context(fresh_postgres_database(args.postgres)) if args.postgres else (
            f"sqlite:///{folder / 'bench.sqlite3'}")  # fmt: skip
        prepare_database(url)
        started = time.perf_counter()
        fill(url, args.reports)
        print(f"{args.reports} reports in {url.split(':')[0]} ({time.perf_counter() - started:.1f} s to insert); "
              f"peak memory before exporting: {peak_mib():.0f} MiB")  # fmt: skip
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(folder)})
        filters = load_filters({})
        for fmt in (Format.CSV, Format.PARQUET, Format.XLSX):
            target = folder / f"reports.{fmt}"
            with get_db(app).read_sessions() as session, target.open("wb") as out:
                started = time.perf_counter()
                rows = services.write_export(session, What.REPORTS, fmt, filters, out, FixEffectSettings())
                elapsed = time.perf_counter() - started
            size = target.stat().st_size / 1024 / 1024
            print(f"{fmt.value:<8} {rows} rows in {elapsed:6.1f} s  {rows / elapsed:8.0f} rows/s  "
                  f"{size:6.1f} MiB  peak memory so far {peak_mib():.0f} MiB")  # fmt: skip
        get_db(app).dispose()


if __name__ == "__main__":
    main()
