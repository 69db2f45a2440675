"""Backup and restore of PostgreSQL, done once end to end (docs/deployment.md, « Backups and restore of PostgreSQL »):
a database filled by ``irritants setup`` with demo data, ``pg_dump --format=custom``, ``pg_restore`` into a fresh
database, gunicorn on the restored one answering GET /readyz → 200, and the row count of every table — and the last
value of every sequence — equal on both sides. Prints each figure; exits 1 on the first difference.

    ./scripts/check_backup_restore [--server postgresql://postgres@127.0.0.1:5432] [--demo-reports 500]

Both databases are created on that server under fresh names and dropped at the end. Needs pg_dump and pg_restore of
the server's major version (or newer) on the PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 60


class CheckFailed(RuntimeError):
    pass


def run(cmd: list[str], what: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, cwd=ROOT)
    if result.returncode != 0:
        raise CheckFailed(f"{what} a échoué ({result.returncode}) :\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result.stdout


def url_of(server: str, database: str, driver: bool = False) -> str:
    base = server.rstrip("/")
    if driver:
        base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{database}"


def counts(url: str) -> tuple[dict[str, int], dict[str, int]]:
    """Rows of every table of the public schema, and the last value of every sequence."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
        rows = {
            name: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()[0]
            for (name,) in tables
        }
        sequences = conn.execute(
            "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall()
    return rows, dict(sequences)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readyz(env: dict[str, str], workdir: Path) -> dict[str, object]:
    port = free_port()
    log = workdir / "gunicorn.log"
    cmd = [str(VENV_BIN / "python"), "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    with log.open("wb") as out:
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, last = time.monotonic() + READY_TIMEOUT_S, "pas de réponse"
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CheckFailed(f"gunicorn s'est arrêté :\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                    return json.loads(answer.read())
            except urllib.error.HTTPError as exc:
                last = f"{exc.code} {exc.read()[:300]!r}"
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                last = str(exc)
            time.sleep(0.2)
        raise CheckFailed(f"/readyz n'a pas répondu 200 en {READY_TIMEOUT_S} s ({last})")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server", default=os.environ.get("BACKUP_CHECK_SERVER", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--demo-reports", type=int, default=500)
    args = parser.parse_args()
    suffix = secrets.token_hex(4)
    source, restored = f"irritants_backup_{suffix}", f"irritants_restored_{suffix}"
    admin = url_of(args.server, "postgres")
    work = Path(tempfile.mkdtemp(prefix="irritants-backup-"))
    started = time.monotonic()
    with psycopg.connect(admin, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        for name in (source, restored):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("IRRITANTS_")}
        env = {
            **base_env,
            "IRRITANTS_ENV": "development",
            "IRRITANTS_INSTANCE_PATH": str(work / "instance"),
            "IRRITANTS_CLUSTERING_ENCODER": "tfidf",
            "IRRITANTS_PRELOAD_ENCODER": "false",
            "IRRITANTS_LOG_FORMAT": "text",
            "WORKERS": "1",
        }
        print(f"→ Sauvegarde et restauration (PostgreSQL {version}, {shutil.which('pg_dump')})")
        t = time.monotonic()
        run(
            [str(VENV_BIN / "irritants"), "setup", "--demo-reports", str(args.demo_reports)],
            "irritants setup",
            {**env, "IRRITANTS_DATABASE_URL": url_of(args.server, source, driver=True)},
        )
        print(
            f"  base remplie par irritants setup ({args.demo_reports} signalements de démonstration) : "
            f"{time.monotonic() - t:.1f} s"
        )

        dump = work / "irritants.dump"
        t = time.monotonic()
        run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), url_of(args.server, source)], "pg_dump")
        print(f"  pg_dump --format=custom : {dump.stat().st_size / 1e6:.2f} Mo en {time.monotonic() - t:.1f} s")
        t = time.monotonic()
        run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", url_of(args.server, restored), str(dump)],
            "pg_restore",
        )
        print(f"  pg_restore dans une base neuve : {time.monotonic() - t:.1f} s")

        state = readyz({**env, "IRRITANTS_DATABASE_URL": url_of(args.server, restored, driver=True)}, work)
        if state.get("status") != "ok":
            raise CheckFailed(f"/readyz sur la base restaurée : {state}")
        print(f"  gunicorn sur la base restaurée : GET /readyz → 200 {json.dumps(state)}")

        before, before_seq = counts(url_of(args.server, source))
        after, after_seq = counts(url_of(args.server, restored))
        print(f"  {'table':<32} {'sauvegardée':>12} {'restaurée':>12}")
        for name in sorted(before.keys() | after.keys()):
            mark = "" if before.get(name) == after.get(name) else "  ✗"
            print(f"  {name:<32} {before.get(name, '—'):>12} {after.get(name, '—'):>12}{mark}")
        if before != after:
            raise CheckFailed("les nombres de lignes diffèrent")
        if before_seq != after_seq:
            raise CheckFailed(f"les séquences diffèrent : {before_seq} ≠ {after_seq}")
        print(f"  {len(before)} tables, {sum(before.values())} lignes, {len(before_seq)} séquences : identiques")
    except CheckFailed as exc:
        print(f"✗ ÉCHEC : {exc}", file=sys.stderr)
        return 1
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in (source, restored):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        shutil.rmtree(work, ignore_errors=True)
    print(f"✓ Sauvegarde restaurée : {time.monotonic() - started:.1f} s en tout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
