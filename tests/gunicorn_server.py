"""Start a real gunicorn on 127.0.0.1 for tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
# Importing the app takes a few seconds per worker; much more when the suite runs in two processes on a busy machine.
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """A gunicorn master with ``workers`` workers serving ``wsgi:app``."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 2,
        threads: int = 1,
        env: dict[str, str] | None = None,
        app: str = "wsgi:app",
        preload: bool = False,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url, self.workers, self.threads, self.app = database_url, workers, threads, app
        # The master imports the app once and forks each worker from it: a worker (re)starts in milliseconds rather
        # than in the seconds an import of the app takes (see ``recycle_workers``).
        self.preload = preload
        self.env = {
            **os.environ,
            "IRRITANTS_DATABASE_URL": database_url,
            "IRRITANTS_SECRET_KEY": "gunicorn-test-secret",
            "IRRITANTS_RATELIMIT_ENABLED": "false",
            "IRRITANTS_ENV": "development",
            # Workers start without loading the embedding model unless a test asks (its own tests do).
            "IRRITANTS_PRELOAD_ENCODER": "false",
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
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
            *(["--preload", "--config", "python:tests.gunicorn_recycled"] if self.preload else []),
            self.app,
        ]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        """Return once ``workers`` workers run and /healthz answers (fail with the server's log otherwise)."""
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if (
                    len(self.worker_pids()) == self.workers
                    and requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
                ):
                    return
            except requests.RequestException:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(self.log.read().decode(errors="replace"))
        self.__exit__()
        raise RuntimeError(f"gunicorn did not start in {START_TIMEOUT_S} s")

    def recycle_workers(self) -> None:
        """Stop the workers and wait until they are gone; the master forks fresh ones (``preload`` makes that
        quick). What a worker held (its caches, its background thread, its loaded model) dies with it, so a test
        that recycles them at its end leaves the next test the server a fresh start would give."""
        old = set(self.worker_pids())
        for pid in old:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + START_TIMEOUT_S
        while old & set(self.worker_pids()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn workers {sorted(old)} did not stop in {START_TIMEOUT_S} s")
            time.sleep(0.02)

    def worker_pids(self, min_age_s: float = 0.0) -> list[int]:
        """PIDs of the current workers (children of the master) started at least ``min_age_s`` ago."""
        assert self.proc is not None
        pids = []
        ticks = os.sysconf("SC_CLK_TCK")
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        for entry in self._children():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            started_s = int(fields[19]) / ticks
            if int(fields[1]) == self.proc.pid and uptime - started_s >= min_age_s:
                pids.append(int(entry.name))
        return pids

    def _children(self) -> list[Path]:
        """The master's children as /proc entries: the kernel's list when it keeps one (the master forks from its
        only thread), else every process (polled many times while a server starts, walking /proc cost CPU)."""
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [Path("/proc", pid) for pid in children.read_text().split()]
        except OSError:
            return [entry for entry in Path("/proc").iterdir() if entry.name.isdigit()]

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
