"""Cost of personal-data detection per report (irritants.intake.redaction.detect) on generated demo reports.

A figure, not a test: the goal is well under a millisecond per report on this machine's cores.

Usage (from the repository root)::

    .venv/bin/python scripts/bench_redaction.py [--reports 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from irritants.intake.demo import generate_reports
    from irritants.intake.redaction import detect

    rows = generate_reports(
        args.reports,
        seed=7,
        administrations={"caf": [], "prefecture": [], "france-travail": [], "dgfip": []},
        territories=["59", "75", "2A", "974"],
        channels=["telephone", "en_ligne"],
        now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    texts = [row["description"] for row in rows]
    per_report = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for text in texts:
            detect(text)
        per_report.append((time.perf_counter() - started) / len(texts) * 1e6)
    mean_chars = statistics.mean(len(t) for t in texts)
    print(
        f"{len(texts)} reports ({mean_chars:.0f} characters on average) × {args.rounds} rounds: "
        f"median {statistics.median(per_report):.0f} µs per report, best {min(per_report):.0f} µs "
        f"(goal: well under 1,000 µs)"
    )


if __name__ == "__main__":
    main()
