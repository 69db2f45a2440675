#!/usr/bin/env bash
# Load test (locust, headless, bounded in time, 127.0.0.1 only): for SQLite then PostgreSQL, a fresh instance set up
# as the README's (irritants setup with 2,000 demo reports, gunicorn with gunicorn.conf.py), then 50, 100, 200 and
# 300 simulated people for 50 s each; prints per kind of request req/s, p50, p95 and errors, and the knee.
# About 12 minutes on a quiet 2-core machine; not part of CI. docs/load-test.md says what it measures and the figures.
# Options go to scripts/load/run.py (--help): e.g. --databases postgresql --users 200 --duration 60.
# PostgreSQL: LOAD_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres), where a
# database of the run's own is created and dropped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv load
cd "$ROOT"
exec "$VENV/bin/python" scripts/load/run.py "$@"
