"""The load test of scripts/load_test.sh: for each database, a fresh instance set up as the README's (``irritants
setup`` with its demo data, gunicorn with ``gunicorn.conf.py``), then locust headless at each number of simulated
people, and per kind of request its requests per second, p50, p95 and errors; then the knee (the first load where a
kind's p95 passes 300 ms or a request fails).

Everything stays on 127.0.0.1; the PostgreSQL database and the instance folder are made for the run and removed
after it. ``python scripts/load/run.py --help`` lists the options (databases, user counts, duration per level…).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
P95_LIMIT_MS = 300
START_TIMEOUT_S = 180
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class Kind:
    """One line of locust's statistics: a kind of request at one load."""

    name: str
    requests: int
    failures: int
    per_second: float
    p50: int
    p95: int


@dataclass(frozen=True)
class Level:
    users: int
    kinds: list[Kind]
    total: Kind
    load_average: str
    conflicts: str
    server_errors: int
    server_cpu_s: float

    def over(self) -> list[str]:
        """Why this load is past the knee (empty when it is not)."""
        slow = sorted((k for k in self.kinds if k.p95 > P95_LIMIT_MS), key=lambda k: -k.p95)
        reasons = []
        if slow:
            reasons.append(
                f"{len(slow)} genre(s) au-delà de {P95_LIMIT_MS} ms, le plus lent {slow[0].name} {slow[0].p95} ms"
            )
        if self.total.failures:
            reasons.append(f"{self.total.failures} erreur(s)")
        return reasons


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


@contextmanager
def database(kind: str, folder: Path, admin_url: str) -> Iterator[str]:
    """A database of the run's own: a SQLite file in the instance folder, or a PostgreSQL database dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'irritants.sqlite3'}"
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"irritants_load_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def instance_env(database_url: str, folder: Path, server_env: dict[str, str]) -> dict[str, str]:
    """The README's defaults (development, no Redis), behind one trusted proxy: the simulated people's addresses."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRRITANTS_") and k not in ("WORKERS", "THREADS")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        IRRITANTS_ENV="development",
        IRRITANTS_DATABASE_URL=database_url,
        IRRITANTS_INSTANCE_PATH=str(folder),
        IRRITANTS_PROXY_FIX_COUNT="1",
        **server_env,
    )
    return env


@contextmanager
def server(env: dict[str, str], folder: Path) -> Iterator[tuple[str, Path, psutil.Process]]:
    """gunicorn as ``scripts/run`` starts it, on a free port of 127.0.0.1; its logs in the instance folder."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    errors = folder / "gunicorn.err"
    cmd = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with open(folder / "gunicorn.out", "wb") as out, open(errors, "wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
    try:
        wait_until(lambda: requests.get(f"{url}/readyz", timeout=5).status_code == 200, "/readyz", proc)
        # Ready also means the text model is loaded (the similar search answers 503 until then), in every worker.
        probe = f"{url}/api/v1/similar?text=Mon+dossier+est+bloqu%C3%A9+depuis+deux+mois"
        wait_until(lambda: all(requests.get(probe, timeout=30).status_code == 200 for _ in range(6)), "similar", proc)
        yield url, errors, psutil.Process(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_until(check: object, what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn s'est arrêté au démarrage (code {proc.returncode}).")
        try:
            if check():  # type: ignore[operator]
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit(f"Le serveur n'a pas répondu à temps ({what}).")


def read_stats(path: Path) -> tuple[list[Kind], Kind]:
    kinds = []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kinds.append(
                Kind(
                    name=row["Name"] if row["Name"] != "Aggregated" else "ensemble",
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    per_second=float(row["Requests/s"]),
                    p50=int(float(row["50%"] if row["50%"] != "N/A" else 0)),
                    p95=int(float(row["95%"] if row["95%"] != "N/A" else 0)),
                )
            )
    return kinds[:-1], kinds[-1]


def cpu_seconds(master: psutil.Process) -> float:
    """CPU time of gunicorn's master and workers so far (user + system): what the load cost the server."""
    total = 0.0
    for proc in [master, *master.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def run_level(url: str, users: int, seconds: int, folder: Path, errors_log: Path, master: psutil.Process) -> Level:
    """locust headless at ``users`` people for ``seconds`` (the first tenth spent bringing them in)."""
    prefix = folder / f"locust-{users}"
    before_errors = errors_log.stat().st_size
    average = load_average()
    cpu_before = cpu_seconds(master)
    cmd = [
        str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--only-summary", "--host", url,
        "--users", str(users), "--spawn-rate", str(max(1, users // 10)), "--run-time", f"{seconds}s",
        "--stop-timeout", "10", "--csv", str(prefix), "--exit-code-on-error", "0", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "IRRITANTS_LOAD_ACCOUNTS": str(folder / "comptes-demo.txt")}
    output = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    server_cpu = cpu_seconds(master) - cpu_before
    (folder / f"locust-{users}.log").write_text(output.stdout + output.stderr, encoding="utf-8")
    if output.returncode != 0:
        raise SystemExit(f"locust a échoué (code {output.returncode}) :\n{output.stderr[-2000:]}")
    kinds, total = read_stats(Path(f"{prefix}_stats.csv"))
    conflicts = re.search(r"Conflits de version[^:]*: (\d+)", output.stdout + output.stderr)
    with errors_log.open("rb") as f:
        f.seek(before_errors)
        logged = f.read().decode("utf-8", "replace")
    server_errors = len(re.findall(r'"level": "(?:ERROR|CRITICAL)"|WORKER TIMEOUT', logged))
    found = conflicts.group(1) if conflicts else "?"
    return Level(users, kinds, total, average, found, server_errors, server_cpu)


def failures_of(folder: Path, users: int) -> list[str]:
    path = folder / f"locust-{users}_failures.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [f"{row['Occurrences']} × {row['Name']} : {row['Error'][:140]}" for row in csv.DictReader(f)]


def show(db: str, level: Level, seconds: int, folder: Path) -> None:
    print(
        f"\n{NAMES[db]} — {level.users} personnes simulées, {seconds} s (charge moyenne avant : {level.load_average})"
    )
    print(f"  {'genre de requête':<52} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'erreurs':>14}")
    for k in [*sorted(level.kinds, key=lambda k: k.name), level.total]:
        share = 100 * k.failures / k.requests if k.requests else 0.0
        flag = " ←" if k.p95 > P95_LIMIT_MS or k.failures else ""
        print(f"  {k.name:<52} {k.per_second:>7.1f} {k.p50:>7} {k.p95:>7} {k.failures:>6} ({share:.2f} %){flag}")
    per_request = 1000 * level.server_cpu_s / level.total.requests if level.total.requests else 0.0
    print(
        f"  CPU du serveur : {level.server_cpu_s:.0f} s pour {level.total.requests} requêtes ({per_request:.0f} ms par "
        f"requête, travaux de fond compris) ; conflits de version (409 attendus) : {level.conflicts} ; erreurs au "
        f"journal du serveur : {level.server_errors}"
    )
    for line in failures_of(folder, level.users):
        print(f"  échec : {line}")


def run_database(db: str, args: argparse.Namespace) -> list[Level]:
    folder = Path(tempfile.mkdtemp(prefix=f"irritants-load-{db}-"))
    started = time.monotonic()
    try:
        with database(db, folder, args.postgres) as url:
            env = instance_env(url, folder, dict(pair.split("=", 1) for pair in args.server_env))
            print(f"\n→ {NAMES[db]} : irritants setup ({args.demo_reports} signalements de démonstration)…", flush=True)
            setup = [str(BIN / "irritants"), "setup", "--demo-reports", str(args.demo_reports)]
            done = subprocess.run(setup, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"irritants setup a échoué :\n{done.stderr[-2000:]}")
            print(f"  prêt en {time.monotonic() - started:.0f} s ; serveur gunicorn (gunicorn.conf.py)…", flush=True)
            levels = []
            with server(env, folder) as (base, errors_log, master):
                for users in args.users:
                    level = run_level(base, users, args.duration, folder, errors_log, master)
                    show(db, level, args.duration, folder)
                    levels.append(level)
                    time.sleep(args.pause)
            return levels
    finally:
        if args.keep:
            print(f"  (dossier gardé : {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs="+", choices=list(NAMES), default=list(NAMES))
    parser.add_argument("--users", nargs="+", type=int, default=[50, 100, 200, 300], help="paliers de personnes")
    parser.add_argument("--duration", type=int, default=50, help="secondes par palier (montée comprise)")
    parser.add_argument("--pause", type=int, default=5, help="secondes de calme entre deux paliers")
    parser.add_argument("--demo-reports", type=int, default=2000, help="comme ./scripts/run (README)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LOAD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="serveur PostgreSQL où créer (puis supprimer) la base du test",
    )
    parser.add_argument("--server-env", nargs="*", default=[], metavar="CLÉ=VALEUR", help="ex. THREADS=4")
    parser.add_argument("--keep", action="store_true", help="garder le dossier (journaux, CSV de locust)")
    args = parser.parse_args()
    started = time.monotonic()
    knees = {}
    for db in args.databases:
        levels = run_database(db, args)
        past = next((level for level in levels if level.over()), None)
        knees[db] = (
            f"{past.users} personnes ({'; '.join(past.over())})"
            if past
            else f"au-delà de {levels[-1].users} personnes (aucun palier ne dépasse)"
        )
    print(f"\nGenou (premier palier où un p95 dépasse {P95_LIMIT_MS} ms ou une requête échoue) :")
    for db, knee in knees.items():
        print(f"  {NAMES[db]} : {knee}")
    print(f"Durée totale : {(time.monotonic() - started) / 60:.1f} min ; charge moyenne à la fin : {load_average()}")


if __name__ == "__main__":
    main()
