"""Throughput and latency of ``POST /api/v1/reports`` against a minimal "validate and insert" baseline.

What is measured
    For each backend (a temporary SQLite file; also PostgreSQL with ``--postgres URL``, in a freshly created
    database dropped at the end) and each client level (``--clients 8,16``), two phases run one after the
    other with the same gunicorn settings on 127.0.0.1:

    * ``baseline`` — ``scripts/bench_baseline_app.py`` under 2 sync workers: Flask + a marshmallow schema with
      the report's field types + one Core INSERT committed per request, with the engine of
      :func:`irritants.db.make_engine` (so WAL, ``synchronous=FULL`` and ``BEGIN IMMEDIATE`` on SQLite). It is
      the ceiling of the stack for a durable write on this machine.
    * ``intake`` — the real app (``wsgi:app``) as ``./scripts/run`` serves it: ``gunicorn.conf.py``'s worker
      model for the database (on SQLite 2 sync workers, on PostgreSQL 3 sync workers; ``--workers``/``--threads``
      override it), the same body sent to ``POST /api/v1/reports`` with a unique ``Idempotency-Key``; the report
      is committed before the 201. Rate limits are on, with ceilings no client reaches, so the shared counters
      (the instance's counters file, or Redis when IRRITANTS_REDIS_URL is set) are paid for as in production.

    Each phase starts its own gunicorn, waits until it answers, checks one request returns 2xx, then drives
    it with N concurrent clients (threads using keep-alive ``http.client`` connections, spread over a few
    client processes) for ``--warmup`` + ``--duration`` seconds. Only requests completed inside the
    ``--duration`` window count. Both phases load the same ``gunicorn.conf.py`` (access log included).
    After each intake phase the server stays up until the background clustering has placed every report (at most
    ``--catch-up`` seconds): the round's line says how many reports were waiting and how fast they were placed. In the
    embedded default (``JOBS_MODE=thread``) clustering yields to requests (irritants/jobs.py: it waits for a
    lull, at most ``MAX_DEFER_SECONDS``), so a burst shorter than that is measured without it and the catch-up
    shows its cost; ``--duration`` above it measures intake and clustering sharing the cores.

How to read it
    ``req/s`` counts 2xx answers per second; ``errors`` are non-2xx answers or transport failures (their
    first bodies are printed). ``p50``/``p99`` are latencies of 2xx answers as a client sees them (connect
    included: sync workers close the connection after each answer). ``srv CPU ms/req`` is the CPU time of
    the gunicorn workers in the window divided by the 2xx answers: if it approaches ``1000 × cores /
    req/s`` the server is CPU-bound, otherwise it waits on the disk (fsync) or on locks. ``cli CPU %`` is
    the CPU used by the load generator itself (it shares the cores), ``other CPU %`` what the rest of the
    machine used meanwhile (above a few % the phase was disturbed: re-run it). CPU % are of one core.
    ``db CPU ms/req`` is the same for the local PostgreSQL backends of the benchmark database (SQLite runs
    inside the workers). ``peak RSS`` is the largest ``VmHWM`` of a worker at the end of the phase.

    Background load shifts absolute figures between phases: ``--rounds 3`` alternates baseline and intake
    three times per level and pools the rounds, and ``--quiet-wait 60`` waits before each phase (at most
    that long) until other processes leave the machine idle; both keep the ratios meaningful on a shared
    machine.

    The goal checked per level: intake req/s ≥ 0.8 × baseline req/s, and intake p99 ≤ 1.5 × baseline p99.
    ``CPU/req ratio`` (intake server CPU per request over the baseline's) explains the verdict and hardly
    moves with background load: above 1/0.8 = 1.25 the req/s goal is out of reach whenever the baseline
    itself keeps the cores busy.
    The exit code is 0 whatever the verdict (this is a report); it is non-zero when a phase could not run.

Usage (from the repository root)::

    .venv/bin/python scripts/bench_intake.py --duration 10 --clients 8,16
    .venv/bin/python scripts/bench_intake.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import multiprocessing as mp
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_RPS_RATIO = 0.8
GOAL_P99_RATIO = 1.5
HOST = "127.0.0.1"
REQUEST_TIMEOUT_S = 30.0
STARTUP_TIMEOUT_S = 40.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

#: endpoint name -> (gunicorn app, path of the POST)
ENDPOINTS: dict[str, tuple[str, str]] = {
    "baseline": ("scripts.bench_baseline_app:app", "/reports"),
    "intake": ("wsgi:app", "/api/v1/reports"),
}
PAYLOAD_FIXED = {"administration": "caf", "territory": "59", "channel": "telephone", "severity": "blocage"}

_SENTENCES = (
    "Mon dossier est bloqué depuis trois mois et personne ne répond au téléphone.",
    "J'ai envoyé trois fois les mêmes justificatifs, ils sont toujours demandés.",
    "Le site affiche une erreur au moment de valider la demande.",
    "On m'a dit au guichet de refaire la démarche en ligne, qui ne fonctionne pas.",
    "Mes droits ont été suspendus sans explication ni courrier.",
    "Le rendez-vous a été annulé la veille et aucun autre créneau n'est proposé.",
    "La plateforme téléphonique raccroche après quarante minutes d'attente.",
    "Le formulaire refuse mon numéro d'allocataire alors qu'il est correct.",
    "Je n'arrive pas à joindre un conseiller pour corriger une erreur de montant.",
    "Ma situation a changé il y a deux mois et rien n'a été mis à jour.",
    "Le courrier reçu contredit ce qui est affiché dans mon espace personnel.",
    "Je dois avancer des frais importants en attendant le versement.",
)


# --------------------------------------------------------------------------------------------- payloads


def make_payload(rng: random.Random) -> dict[str, Any]:
    """A valid report body: fixed reference codes, varied text, date and flags."""
    description = " ".join(rng.sample(_SENTENCES, k=rng.randint(1, 6)))
    occurred_on = None
    if rng.random() < 0.6:
        occurred_on = (dt.date.today() - dt.timedelta(days=rng.randint(1, 400))).isoformat()
    return {**PAYLOAD_FIXED, "description": description, "occurred_on": occurred_on, "assisted": rng.random() < 0.2}


def _request_headers(key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": key}


# --------------------------------------------------------------------------------------------- /proc


def _proc_children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def _proc_cpu_seconds(pid: int) -> float:
    try:
        fields_ = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields_[11]) + int(fields_[12])) / CLK_TCK  # utime + stime


def _proc_vmhwm_kb(pid: int) -> int:
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _postgres_backends_cpu(database: str | None) -> dict[int, float]:
    """CPU seconds of each local PostgreSQL backend serving ``database`` (none for SQLite)."""
    if not database:
        return {}
    marker = f" {database} ".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"postgres: ") and marker in cmdline:
                found[int(entry.name)] = _proc_cpu_seconds(int(entry.name))
    return found


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(values[:8])  # guest time is already counted in user
    return (total - values[3] - values[4]) / CLK_TCK


def wait_for_quiet(max_wait: float, *, threshold: float = 0.2, sample: float = 1.0) -> float:
    """Wait (at most ``max_wait`` s) until the machine uses < ``threshold`` of a core; returns the last load."""
    deadline = time.monotonic() + max_wait
    while True:
        busy0 = _machine_busy_seconds()
        time.sleep(sample)
        load = (_machine_busy_seconds() - busy0) / sample
        if load < threshold or time.monotonic() >= deadline:
            return load


def _filesystem_of(path: Path) -> str:
    best, fstype = "", "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            mount = parts[1]
            if str(path).startswith(mount) and len(mount) > len(best):
                best, fstype = mount, parts[2]
    return fstype


# --------------------------------------------------------------------------------------------- gunicorn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class GunicornServer:
    """One gunicorn master on 127.0.0.1 serving ``app`` from the repository root; always stopped on exit."""

    def __init__(self, app: str, database_url: str, *, workers: int | None, threads: int | None, log_dir: Path) -> None:
        from irritants.config import web_server

        self.env = {
            **os.environ,
            "IRRITANTS_DATABASE_URL": database_url,
            "IRRITANTS_SECRET_KEY": "bench",
            "IRRITANTS_ENV": "development",
            "IRRITANTS_INSTANCE_PATH": str(log_dir / "instance"),
            # On, with ceilings nobody reaches: the shared counters are part of the cost of a request.
            "IRRITANTS_RATELIMIT_ENABLED": "true",
            "IRRITANTS_RATELIMIT_SUBMIT": "1000000 per minute",
        }
        model = web_server(self.env)
        self.app = app
        self.workers, self.threads = workers or model.workers, threads or model.threads
        self.port = _free_port()
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.initial_workers: list[int] = []

    def __enter__(self) -> Self:
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--graceful-timeout",
            "2",
            "--timeout",
            "30",
            "--log-level",
            "warning",
            self.app,
        ]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PhaseError(f"gunicorn {self.app} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if len(self.worker_pids()) >= self.workers and self._healthy():
                self._wait_until_settled(deadline)
                self.initial_workers = sorted(self.worker_pids())
                return
            time.sleep(0.1)
        raise PhaseError(f"gunicorn {self.app} not ready after {STARTUP_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def _wait_until_settled(self, deadline: float) -> None:
        # Workers keep working after their first answer: the other workers import the app, and the intake loads its
        # text model in the background. Measure the steady state: wait until the workers use no CPU for a while.
        last, still = self.workers_cpu_seconds(), 0
        while time.monotonic() < deadline and still < 4:
            time.sleep(0.25)
            now = self.workers_cpu_seconds()
            still = still + 1 if now - last < 0.01 else 0
            last = now

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        """PIDs of the live workers (children of the master)."""
        return _proc_children(self.proc.pid) if self.proc is not None else []

    def workers_cpu_seconds(self) -> float:
        return sum(_proc_cpu_seconds(pid) for pid in self.worker_pids())

    def peak_rss_mb(self) -> float:
        return max((_proc_vmhwm_kb(pid) for pid in self.worker_pids()), default=0) / 1024

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class PhaseError(RuntimeError):
    """A phase could not run (server did not start, first request refused…)."""


# --------------------------------------------------------------------------------------------- load generator


def _client_thread(
    port: int, path: str, seed: int, start_at: float, measure_from: float, deadline: float, out: dict[str, Any]
) -> None:
    rng = random.Random(seed)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    key_prefix = f"bench-{os.getpid()}-{seed}-{secrets.token_hex(4)}"
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    time.sleep(max(0.0, start_at - time.monotonic()))
    n = 0
    while True:
        if time.monotonic() >= deadline:
            break
        n += 1
        body = json.dumps(make_payload(rng), ensure_ascii=False).encode()
        headers = _request_headers(f"{key_prefix}-{n}")
        t0 = time.monotonic()
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            answer = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as exc:
            t1 = time.monotonic()
            conn.close()
            if measure_from <= t1 <= deadline:
                errors[f"transport {type(exc).__name__}: {exc}"[:200]] += 1
            time.sleep(0.01)
            continue
        t1 = time.monotonic()
        if measure_from <= t1 <= deadline:
            if 200 <= status < 300:
                latencies.append(t1 - t0)
            else:
                errors[f"HTTP {status}: {answer[:300].decode(errors='replace')}"] += 1
    conn.close()
    out["latencies"], out["errors"] = latencies, errors


def _client_process(
    port: int, path: str, n_threads: int, seed: int, start_at: float, measure_from: float, deadline: float, queue: Any
) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent stops its client processes quietly
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent
    outs: list[dict[str, Any]] = [{} for _ in range(n_threads)]
    threads = [
        threading.Thread(
            target=_client_thread,
            args=(port, path, seed * 1000 + i, start_at, measure_from, deadline, outs[i]),
            daemon=True,
        )
        for i in range(n_threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(deadline - time.monotonic() + REQUEST_TIMEOUT_S + 5)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    for out in outs:
        latencies.extend(out.get("latencies", []))
        errors.update(out.get("errors", Counter()))
    queue.put({"latencies": latencies, "errors": dict(errors)})


@dataclass
class PhaseResult:
    """Figures of one (backend, clients, endpoint) phase."""

    backend: str
    clients: int
    endpoint: str
    duration: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    other_cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    restarted_workers: bool = False
    failure: str | None = None
    pending_after: int | None = None
    """Intake only: reports not yet clustered when the clients stopped."""
    pending_left: int | None = None
    """Intake only: reports still not clustered at the end of the wait that follows the phase."""
    catch_up_s: float = 0.0
    """Intake only: how long that wait lasted (it ends early once every report is clustered)."""

    def absorb(self, other: PhaseResult) -> None:
        """Add another round of the same phase to this one."""
        self.duration += other.duration
        self.latencies.extend(other.latencies)
        self.errors.update(other.errors)
        self.server_cpu_s += other.server_cpu_s
        self.client_cpu_s += other.client_cpu_s
        self.db_cpu_s += other.db_cpu_s
        self.other_cpu_s += other.other_cpu_s
        self.peak_rss_mb = max(self.peak_rss_mb, other.peak_rss_mb)
        self.restarted_workers = self.restarted_workers or other.restarted_workers
        self.failure = self.failure or other.failure

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def n_errors(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.ok / self.duration if self.duration else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


def drive(
    server: GunicornServer,
    path: str,
    result: PhaseResult,
    *,
    clients: int,
    client_procs: int,
    warmup: float,
    duration: float,
    pg_database: str | None = None,
) -> None:
    """Run ``clients`` concurrent clients against ``server`` and fill ``result``.

    ``pg_database``: name of the PostgreSQL database, whose local backends' CPU is then measured too.
    """
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    n_procs = max(1, min(client_procs, clients))
    shares = [clients // n_procs + (1 if i < clients % n_procs else 0) for i in range(n_procs)]
    start_at = time.monotonic() + 0.3
    measure_from = start_at + warmup
    deadline = measure_from + duration
    procs = [
        ctx.Process(
            target=_client_process,
            daemon=True,
            args=(server.port, path, share, i + 1, start_at, measure_from, deadline, queue),
        )
        for i, share in enumerate(shares)
    ]
    try:
        for proc in procs:
            proc.start()
        time.sleep(max(0.0, measure_from - time.monotonic()))
        server_cpu0 = server.workers_cpu_seconds()
        client_cpu0 = sum(_proc_cpu_seconds(p.pid) for p in procs if p.pid)
        db_cpu0 = _postgres_backends_cpu(pg_database)
        busy0 = _machine_busy_seconds()
        time.sleep(max(0.0, deadline - time.monotonic()))
        result.server_cpu_s = server.workers_cpu_seconds() - server_cpu0
        result.client_cpu_s = sum(_proc_cpu_seconds(p.pid) for p in procs if p.pid) - client_cpu0
        db_cpu1 = _postgres_backends_cpu(pg_database)
        result.db_cpu_s = sum(cpu - db_cpu0.get(pid, 0.0) for pid, cpu in db_cpu1.items())
        accounted = result.server_cpu_s + result.client_cpu_s + result.db_cpu_s
        result.other_cpu_s = max(0.0, _machine_busy_seconds() - busy0 - accounted)
        for _ in procs:
            part = queue.get(timeout=REQUEST_TIMEOUT_S + 15)
            result.latencies.extend(part["latencies"])
            result.errors.update(part["errors"])
        result.peak_rss_mb = server.peak_rss_mb()
        result.restarted_workers = sorted(server.worker_pids()) != server.initial_workers
        for proc in procs:
            proc.join(timeout=5)
    finally:
        for proc in procs:
            if proc.pid is None:
                continue  # never started
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
        queue.close()


def _pending_reports(conn: Any) -> int:
    """Reports the background clustering has not placed yet (the database is its queue)."""
    from sqlalchemy import text

    count = int(conn.execute(text("SELECT count(*) FROM reports WHERE cluster_id IS NULL")).scalar() or 0)
    conn.rollback()  # end the read at once: the next count sees a fresh snapshot, and no writer waits on it
    return count


def wait_for_clustering(url: str, result: PhaseResult, timeout: float) -> None:
    """After the burst, with the server still up: how many reports wait, and how long until none does."""
    from irritants.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:  # a reader: no write turn
            started = time.monotonic()
            result.pending_after = pending = _pending_reports(conn)
            while pending and time.monotonic() - started < timeout:
                time.sleep(0.5)
                pending = _pending_reports(conn)
    finally:
        engine.dispose()
    result.pending_left, result.catch_up_s = pending, time.monotonic() - started


def preflight(server: GunicornServer, path: str) -> None:
    """One request before the load: a phase whose first answer is not 2xx is reported, not measured."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=REQUEST_TIMEOUT_S)
    try:
        body = json.dumps(make_payload(random.Random(0)), ensure_ascii=False).encode()
        conn.request("POST", path, body=body, headers=_request_headers(f"bench-preflight-{secrets.token_hex(8)}"))
        resp = conn.getresponse()
        answer = resp.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as exc:
        raise PhaseError(f"first POST {path} failed: {exc!r}\n{server.log_tail()}") from exc
    finally:
        conn.close()
    if not 200 <= resp.status < 300:
        raise PhaseError(f"first POST {path} answered {resp.status}: {answer[:1000]}\n{server.log_tail()}")


# --------------------------------------------------------------------------------------------- databases


def prepare_database(url: str) -> None:
    """Migrate ``url`` and load the référentiel (the baseline app creates its own table)."""
    from sqlalchemy import select

    from irritants import create_app, migrate
    from irritants.db import get_db
    from irritants.referential.models import Administration, Channel, Territory
    from irritants.referential.services import load_reference_data

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    database = get_db(app)
    try:
        with app.app_context(), database.session_scope() as session:
            load_reference_data(session)
            session.commit()
            missing = [
                name
                for name, found in (
                    ("administration caf", session.scalar(select(Administration).where(Administration.slug == "caf"))),
                    ("territory 59", session.get(Territory, "59")),
                    ("channel telephone", session.get(Channel, "telephone")),
                )
                if found is None
            ]
            if missing:
                raise PhaseError(f"the référentiel lacks what the benchmark sends: {', '.join(missing)}")
    finally:
        database.dispose()


def describe_database(url: str) -> str:
    """The durability settings a connection of the app actually gets."""
    from sqlalchemy import text

    from irritants.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
                journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
                version = conn.exec_driver_sql("select sqlite_version()").scalar()
                return f"SQLite {version}, journal_mode={journal}, synchronous={sync} ({names.get(sync, '?')})"
            settings = {
                name: conn.execute(text(f"SHOW {name}")).scalar()
                for name in ("server_version", "synchronous_commit", "fsync", "wal_sync_method")
            }
            return "PostgreSQL " + ", ".join(f"{k}={v}" for k, v in settings.items())
    finally:
        engine.dispose()


def describe_app_settings() -> str:
    """Settings of the intake that change its cost, as gunicorn will see them (IRRITANTS_* pass through)."""
    try:
        from irritants.config import load_config

        config = load_config({"ENV": "development"})
    except Exception as exc:  # only informative: never stop the run for it
        return f"(configuration unreadable: {exc})"
    keys = ("JOBS_MODE", "CLUSTERING_ENCODER")
    parts = [f"{key}={config[key]}" for key in keys if key in config]
    parts.append(f"REDIS_URL={'set' if config.get('REDIS_URL') else 'unset'}")
    return ", ".join(parts)


@contextlib.contextmanager
def fresh_postgres_database(base: str) -> Iterator[str]:
    """A uniquely named database next to ``base``, dropped on exit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(base)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"--postgres expects a postgresql URL, not {parsed.get_backend_name()!r}")
    name = f"{parsed.database or 'postgres'}_irr_bench_{secrets.token_hex(4)}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT", hide_parameters=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --------------------------------------------------------------------------------------------- report


def _fmt(value: float, spec: str) -> str:
    if math.isnan(value):
        width = spec.split(".")[0]
        return "-".rjust(int(width)) if width.isdigit() else "-"
    return format(value, spec)


def print_results(results: list[PhaseResult], cores: int) -> None:
    header = (
        f"{'backend':<10} {'clients':>7} {'endpoint':<9} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'srv CPU ms/req':>14} {'db CPU ms/req':>13} "
        f"{'cli CPU %':>9} {'other CPU %':>11} {'peak RSS MB':>11}"
    )
    print("\n" + header)
    print("-" * len(header))
    for r in results:
        if r.failure:
            print(f"{r.backend:<10} {r.clients:>7} {r.endpoint:<9} FAILED (see above)")
            continue
        cpu_per_req = r.server_cpu_s * 1000 / r.ok if r.ok else math.nan
        db_per_req = r.db_cpu_s * 1000 / r.ok if r.ok and r.backend == "postgresql" else math.nan
        worst = max(r.latencies) * 1000 if r.latencies else math.nan
        print(
            f"{r.backend:<10} {r.clients:>7} {r.endpoint:<9} {r.ok + r.n_errors:>8} {r.n_errors:>6} "
            f"{r.rps:>7.1f} {_fmt(r.percentile_ms(0.50), '7.1f')} {_fmt(r.percentile_ms(0.99), '7.1f')} "
            f"{_fmt(worst, '7.1f')} {_fmt(cpu_per_req, '14.2f')} {_fmt(db_per_req, '13.2f')} "
            f"{100 * r.client_cpu_s / r.duration:>9.0f} "
            f"{100 * r.other_cpu_s / r.duration:>11.0f} {r.peak_rss_mb:>11.1f}"
        )
    print(f"(CPU-bound ceiling at N ms/req of server CPU: {cores} cores × 1000 / N req/s; CPU % are of one core)")
    disturbed = [r for r in results if not r.failure and r.duration and r.other_cpu_s / r.duration > 0.2]
    if disturbed:
        print(
            f"warning: other processes used > 20 % of a core during {len(disturbed)} of {len(results)} phases "
            "('other CPU %'): the machine was not quiet, compare ratios rather than absolute figures"
        )

    rps_goal, p99_goal = f"(≥ {GOAL_RPS_RATIO})", f"(≤ {GOAL_P99_RATIO})"
    print(
        f"\n{'backend':<10} {'clients':>7} {'endpoint':<9} {'req/s ratio':>11} {rps_goal:<8} "
        f"{'p99 ratio':>9} {p99_goal:<8} {'CPU/req ratio':>13} verdict"
    )
    pairs: dict[tuple[str, int], dict[str, PhaseResult]] = {}
    for r in results:
        pairs.setdefault((r.backend, r.clients), {})[r.endpoint] = r
    for (backend, clients), pair in pairs.items():
        base = pair.get("baseline")
        for endpoint, other in pair.items():
            if endpoint == "baseline":
                continue
            if base is None or base.failure or other.failure or not base.ok or not other.ok:
                print(
                    f"{backend:<10} {clients:>7} {endpoint:<9} {'n/a':>11} {'':<8} {'n/a':>9} {'':<8} {'n/a':>13} "
                    "not measured"
                )
                continue
            rps_ratio = other.rps / base.rps
            p99_ratio = other.percentile_ms(0.99) / base.percentile_ms(0.99)
            cpu_ratio = math.nan
            if base.server_cpu_s:
                cpu_ratio = (other.server_cpu_s / other.ok) / (base.server_cpu_s / base.ok)
            rps_ok, p99_ok = rps_ratio >= GOAL_RPS_RATIO, p99_ratio <= GOAL_P99_RATIO
            clean = other.n_errors == 0 and base.n_errors == 0
            verdict = "PASS" if rps_ok and p99_ok and clean else "FAIL"
            if not clean:
                verdict += " (errors)"
            print(
                f"{backend:<10} {clients:>7} {endpoint:<9} {rps_ratio:>11.2f} {'PASS' if rps_ok else 'FAIL':<8} "
                f"{p99_ratio:>9.2f} {'PASS' if p99_ok else 'FAIL':<8} {_fmt(cpu_ratio, '13.2f')} {verdict}"
            )
    print(
        f"(CPU/req ratio: server CPU per request relative to the baseline, little affected by background load; "
        f"above {1 / GOAL_RPS_RATIO:.2f} the req/s goal is out of reach when the baseline saturates the cores)"
    )


def _clustering_note(result: PhaseResult) -> str:
    if result.pending_after is None or result.pending_left is None:
        return ""
    done = result.pending_after - result.pending_left
    rate = done / result.catch_up_s if result.catch_up_s else 0.0
    if result.pending_left:
        return (
            f"\n      clustering: {result.pending_after} reports waiting when the clients stopped, {done} placed in "
            f"the next {result.catch_up_s:.0f} s ({rate:.1f}/s)"
        )
    return (
        f"\n      clustering: {result.pending_after} reports waiting when the clients stopped, all placed "
        f"{result.catch_up_s:.1f} s later ({rate:.1f}/s)"
    )


def print_errors(result: PhaseResult) -> None:
    if result.errors:
        print(f"  {result.n_errors} errors in {result.backend}/{result.clients}/{result.endpoint}:")
        for message, count in result.errors.most_common(5):
            print(f"    {count:>6} × {message}")
    if result.restarted_workers:
        print(
            f"  warning: gunicorn workers were restarted during {result.backend}/{result.clients}/"
            f"{result.endpoint} (timeout or crash)"
        )


# --------------------------------------------------------------------------------------------- main


def _levels(raw: str) -> list[int]:
    try:
        levels = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {raw!r}") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("client levels must be ≥ 1")
    return levels


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per phase (default 15)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each phase (default 2)")
    parser.add_argument("--clients", type=_levels, default=[8], help="concurrent clients, e.g. 8 or 8,16 (default 8)")
    parser.add_argument(
        "--workers", type=int, default=None, help="intake's gunicorn workers (default: gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="intake's threads per worker (default: gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--client-procs", type=int, default=2, help="processes the client threads are spread over (default 2)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate baseline and intake this many times per level and pool the figures "
        "(default 1; more evens out a noisy machine)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each phase, wait up to this long for other processes to leave the machine "
        "idle (default 0: do not wait)",
    )
    parser.add_argument(
        "--catch-up",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="after each intake phase, wait up to this long for the background clustering to place every report, "
        "and report how fast it went (default 30; 0 skips it)",
    )
    parser.add_argument("--postgres", metavar="URL", help="also run against a fresh database next to this URL")
    parser.add_argument("--skip-sqlite", action="store_true", help="only run PostgreSQL (needs --postgres)")
    parser.add_argument("--tmpdir", type=Path, default=None, help="where the SQLite database goes (default: $TMPDIR)")
    args = parser.parse_args(argv)
    if args.skip_sqlite and not args.postgres:
        parser.error("--skip-sqlite needs --postgres")
    if (
        args.duration <= 0
        or args.warmup < 0
        or (args.workers is not None and args.workers < 1)
        or (args.threads is not None and args.threads < 1)
        or args.client_procs < 1
        or args.rounds < 1
    ):
        parser.error("durations must be positive and counts ≥ 1")
    return args


def _raise_on_sigterm(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_backend(
    backend: str,
    url: str,
    args: argparse.Namespace,
    log_dir: Path,
    results: list[PhaseResult],
    on_result: Callable[[PhaseResult], None],
) -> None:
    """Prepare ``url`` then run baseline and intake at each client level."""
    from sqlalchemy.engine import make_url

    prepare_database(url)
    pg_database = make_url(url).database if backend == "postgresql" else None
    print(f"  {backend}: {describe_database(url)}")
    for clients in args.clients:
        merged = {endpoint: PhaseResult(backend, clients, endpoint, 0.0) for endpoint in ENDPOINTS}
        for round_ in range(1, args.rounds + 1):
            for endpoint, (app, path) in ENDPOINTS.items():
                result = PhaseResult(backend, clients, endpoint, args.duration)
                label = f" round {round_}" if args.rounds > 1 else ""
                if args.quiet_wait > 0:
                    load = wait_for_quiet(args.quiet_wait)
                    if load >= 0.2:
                        print(f"  (machine still busy after {args.quiet_wait:g} s: {100 * load:.0f} % of a core)")
                print(f"  {backend:<10} clients={clients:<3} {endpoint:<8}{label} … ", end="", flush=True)
                try:
                    workers, threads = (2, 1) if endpoint == "baseline" else (args.workers, args.threads)
                    with GunicornServer(app, url, workers=workers, threads=threads, log_dir=log_dir) as server:
                        preflight(server, path)
                        drive(
                            server,
                            path,
                            result,
                            clients=clients,
                            client_procs=args.client_procs,
                            warmup=args.warmup,
                            duration=args.duration,
                            pg_database=pg_database,
                        )
                        if endpoint == "intake" and args.catch_up > 0:
                            wait_for_clustering(url, result, args.catch_up)
                except PhaseError as exc:
                    result.failure = str(exc)
                    print(f"FAILED\n{exc}")
                else:
                    print(
                        f"{result.rps:.1f} req/s, p99 {_fmt(result.percentile_ms(0.99), '.1f')} ms, "
                        f"other CPU {100 * result.other_cpu_s / result.duration:.0f} %{_clustering_note(result)}"
                    )
                on_result(result)
                merged[endpoint].absorb(result)
        results.extend(merged.values())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    cores = os.cpu_count() or 1
    backends = (0 if args.skip_sqlite else 1) + (1 if args.postgres else 0)
    phases = backends * len(args.clients) * len(ENDPOINTS) * args.rounds
    import gunicorn

    print(
        f"machine: nproc={cores}, {platform.machine()}, Python {platform.python_version()}, "
        f"gunicorn {gunicorn.__version__}; baseline 2 sync workers, intake "
        + (
            f"{args.workers or 'default'} workers × {args.threads or 'default'} threads"
            if args.workers or args.threads
            else "gunicorn.conf.py's worker model (as scripts/run)"
        )
    )
    print(
        f"intake settings: {describe_app_settings()}, rate limits on with unreachable ceilings "
        "(IRRITANTS_* variables pass through)"
    )
    budget = phases * (args.warmup + args.duration + 3 + args.quiet_wait)
    print(
        f"plan: {phases} phases × ({args.warmup:g} s warmup + {args.duration:g} s measured + start-up), "
        f"≈ {budget:.0f} s; client levels {args.clients}, {args.client_procs} client processes"
    )
    results: list[PhaseResult] = []
    workdir = Path(tempfile.mkdtemp(prefix="irritants-bench-", dir=args.tmpdir))
    try:
        if not args.skip_sqlite:
            db_path = workdir / "bench.sqlite3"
            print(f"  sqlite: database {db_path} on {_filesystem_of(workdir)}")
            run_backend("sqlite", f"sqlite:///{db_path}", args, workdir, results, print_errors)
        if args.postgres:
            with fresh_postgres_database(args.postgres) as url:
                run_backend("postgresql", url, args, workdir, results, print_errors)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        if results:
            print_results(results, cores)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_results(results, cores)
    return 2 if any(r.failure for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
