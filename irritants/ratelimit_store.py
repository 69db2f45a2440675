"""Rate-limit counters shared by every process of one machine, in a small SQLite file.

Flask-Limiter's ``memory://`` storage counts per process: with two gunicorn workers a "10 per minute" limit let 20
requests through. Redis (``IRRITANTS_REDIS_URL``) shares counters between machines; the embedded default, which has
no Redis, keeps them in ``instance/ratelimits.sqlite3`` instead (``irritants+sqlite:///<path>``). Every increment is
one atomic UPSERT … RETURNING, so workers of the same machine never count twice nor lose a hit.

The file holds only counters keyed by a hash of the limit and the client's address, expiring with their window; it
is not the service's database (no write of the service waits behind a counter) and it is not durable on purpose
(``synchronous = OFF``: losing the last second of counters in a power cut is harmless).
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlparse

from limits.storage import Storage

SCHEME = "irritants+sqlite"
_PURGE_ONE_IN = 500  # about one increment in 500 also deletes the expired counters

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    hits INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""

_INCR = """
INSERT INTO counters (key, hits, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN counters.expires_at <= :now THEN excluded.hits ELSE counters.hits + excluded.hits END,
    expires_at = CASE WHEN counters.expires_at <= :now THEN excluded.expires_at ELSE counters.expires_at END
RETURNING hits
"""


def storage_uri(path: Path) -> str:
    """The Flask-Limiter storage URI of a counters file at ``path``."""
    return f"{SCHEME}://{path.resolve()}"


def _hashed(key: str) -> str:
    # Keys hold the client's address: the file keeps a digest only.
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file (the limiter's default "fixed-window" strategy)."""

    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        parsed = urlparse(uri or "")
        path = unquote(parsed.netloc + parsed.path)
        if not path:
            raise ValueError(f"{SCHEME}:// needs a file path, e.g. {SCHEME}:///srv/irritants/ratelimits.sqlite3")
        self.path = Path(path)
        self._local = threading.local()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection().execute(_SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and per process (a forked worker must not share its parent's).
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = OFF")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        conn = self._connection()
        row = conn.execute(
            _INCR, {"key": _hashed(key), "amount": amount, "expires_at": now + expiry, "now": now}
        ).fetchone()
        if random.randrange(_PURGE_ONE_IN) == 0:
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return int(row[0])

    def _live(self, key: str) -> tuple[int, float] | None:
        """(hits, expires_at) of the counter of ``key`` while its window lasts."""
        return (
            self._connection()
            .execute(
                "SELECT hits, expires_at FROM counters WHERE key = ? AND expires_at > ?", (_hashed(key), time.time())
            )
            .fetchone()
        )

    def get(self, key: str) -> int:
        row = self._live(key)
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return float(row[1]) if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (_hashed(key),))
