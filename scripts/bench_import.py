"""Time of ``irritants import`` with vectors included, per stage, and what 100,000 reports would take.

A CSV of ``--rows`` demo reports (``irritants.intake.demo``: the lengths citizens write on the form) is imported
into a fresh, migrated database (a temporary SQLite file, or ``--postgres URL`` in a new database dropped at the
end) by the real command line, each stage in its own process, timed from outside:

1. ``irritants import FILE --no-vectors``: validation and insertion;
2. ``irritants import FILE`` again: every row is already there, so this run only computes the vectors (one model
   per core, committed chunk by chunk: ``irritants/clusters/vectors.py``) — the stage a stop can resume;
3. ``irritants recluster``: every report into its irritant, from the stored vectors.

Each stage prints its wall seconds, reports per second and the minutes it would take for 100,000 reports
(linear for 1 and 2; the re-clustering grows a little faster: ``scripts/bench_clustering.py`` measures it at
100k). ``--processes`` sets ``IRRITANTS_EMBEDDING_PROCESSES`` (how much of a text the model reads is measured by
``scripts/bench_embedding.py``).
The machine must be quiet (the script prints the other processes' CPU share).

    .venv/bin/python scripts/bench_import.py --rows 2000
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_embedding import cpu_seconds_of_others  # noqa: E402
from bench_intake import fresh_postgres_database, prepare_database  # noqa: E402

from irritants.intake.demo import generate_reports  # noqa: E402
from irritants.referential.services import bundled_codes  # noqa: E402

PER_100K = 100_000


def write_csv(path: Path, rows: int, seed: int) -> None:
    admins, territories, channels = bundled_codes()
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    reports = generate_reports(
        rows, seed=seed, administrations=admins, territories=territories, channels=channels, now=now
    )
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "description", "structure", "demarche", "departement", "canal", "gravite"])
        for n, report in enumerate(reports):
            writer.writerow(
                [
                    f"bench-{n}",
                    report["description"],
                    report["administration"],
                    report.get("procedure") or "",
                    report["territory"],
                    report["channel"],
                    report["severity"],
                ]
            )


def run_stage(label: str, args: list[str], env: dict[str, str], rows: int) -> float:
    others, start = cpu_seconds_of_others(), time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "irritants"), *args], env=env, cwd=REPO, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{label} failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")
    busy = 100 * (cpu_seconds_of_others() - others) / elapsed
    summary = " ".join(done.stdout.split())
    summary = re.sub(r"\s+", " ", summary)[:160]
    minutes = PER_100K / rows * elapsed / 60
    print(
        f"{label:<34} {elapsed:8.1f} s  {rows / elapsed:7.1f} reports/s  100k: {minutes:6.1f} min"
        f"  (CPU of the rest of the machine incl. children {busy:.0f} %)\n    {summary}",
        flush=True,
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL: the run uses a new database next to it")
    parser.add_argument("--processes", type=int, default=None, help="encoding processes (default: one per core)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="irritants-import-") as tmp:
        folder = Path(tmp)
        path = folder / "reports.csv"
        write_csv(path, args.rows, args.seed)
        with contextlib.ExitStack() as stack:
            if args.postgres:
                url = stack.enter_context(fresh_postgres_database(args.postgres))
            else:
                url = f"sqlite:///{folder / 'bench.sqlite3'}"
            prepare_database(url)
            env = {
                **os.environ,
                "IRRITANTS_DATABASE_URL": url,
                "IRRITANTS_SECRET_KEY": "bench",
                "IRRITANTS_ENV": "development",
                "IRRITANTS_INSTANCE_PATH": str(folder / "instance"),
                "IRRITANTS_CLUSTERING_ENCODER": "embedding",
                "IRRITANTS_JOBS_MODE": "worker",  # no background thread: each stage is timed alone
            }
            if args.processes is not None:
                env["IRRITANTS_EMBEDDING_PROCESSES"] = str(args.processes)
            print(f"{args.rows} demo reports, {url.split(':')[0]}, {os.cpu_count()} cores")
            total = run_stage("1. import, no vectors", ["import", str(path), "--no-vectors"], env, args.rows)
            total += run_stage("2. vectors (import again)", ["import", str(path)], env, args.rows)
            total += run_stage("3. recluster", ["recluster"], env, args.rows)
            print(f"{'total':<34} {total:8.1f} s  100k: {PER_100K / args.rows * total / 60:6.1f} min (linear)")


if __name__ == "__main__":
    main()
