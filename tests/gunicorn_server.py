"""Start a real gunicorn on 127.0.0.1 for tests and benchmarks."""

from __future__ import annotations

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
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url, self.workers, self.threads, self.app = database_url, workers, threads, app
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
            self.app,
        ]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(self.log.read().decode(errors="replace"))
        self.__exit__()
        raise RuntimeError(f"gunicorn did not start in {START_TIMEOUT_S} s")

    def worker_pids(self, min_age_s: float = 0.0) -> list[int]:
        """PIDs of the current workers (children of the master) started at least ``min_age_s`` ago."""
        assert self.proc is not None
        pids = []
        ticks = os.sysconf("SC_CLK_TCK")
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                started_s = int(fields[19]) / ticks
                if int(fields[1]) == self.proc.pid and uptime - started_s >= min_age_s:
                    pids.append(int(entry.name))
        return pids

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
