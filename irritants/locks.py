"""Only one at a time, across threads, processes and machines: the one lock helper of every such job (the placement of
new reports, the re-clustering, the web processes' background thread). A PostgreSQL advisory lock, or a lock file next
to the SQLite database.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from irritants.db import write_turn_held


class LockBusy(Exception):
    """Someone else holds a :func:`one_at_a_time` lock that was asked for without waiting."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} is held by another process or thread")
        self.name = name


_LOCK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_MEMORY_LOCKS: dict[str, threading.Lock] = {}


def lock_key(name: str) -> int:
    """The advisory-lock key of a name: a signed 64-bit integer, the same in every process and on every machine
    (blake2b of the name; Python's ``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def one_at_a_time(bind: Session | Connection | Engine, name: str, *, wait: bool = True) -> Iterator[None]:
    """Only one holder of ``name`` at a time, across threads, processes and machines.

    With a session or a connection, the lock belongs to its current transaction: on PostgreSQL
    ``pg_advisory_xact_lock``, released when the transaction ends (commit at the end of the block, not in the
    middle). With an engine, the lock covers the block, whatever transactions run inside it: on PostgreSQL a
    session-level advisory lock held on a connection of its own (for work made of several transactions).

    On SQLite the lock is the file ``<database file>.<name>.lock`` (``flock``), released when the block ends; it
    must be taken *before* the write transaction (before the machine's write turn of ``irritants.db.WriterQueue``),
    otherwise two writers could each hold what the other waits for: taking it inside a write transaction raises.

    With ``wait=False`` a lock held elsewhere raises :class:`LockBusy` at once instead of waiting.
    """
    if not _LOCK_NAME.fullmatch(name):
        raise ValueError(f"lock name {name!r}: lowercase letters, digits, '-' and '_' only")
    engine = (bind.get_bind() if isinstance(bind, Session) else bind).engine
    if engine.dialect.name == "postgresql":
        with _advisory_lock(bind, name, wait=wait):
            yield
    elif engine.dialect.name == "sqlite":
        if write_turn_held(engine):
            raise RuntimeError(f"one_at_a_time({name!r}) taken inside a write transaction: take it before")
        database = engine.url.database
        if not database or database == ":memory:":
            with _memory_lock(name, wait=wait):
                yield
        else:
            with _file_lock(Path(f"{database}.{name}.lock"), name, wait=wait):
                yield
    else:
        raise NotImplementedError(f"one_at_a_time on {engine.dialect.name}")


@contextmanager
def _advisory_lock(bind: Session | Connection | Engine, name: str, *, wait: bool) -> Iterator[None]:
    key = lock_key(name)
    if not isinstance(bind, Engine):
        verb = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        got = bind.execute(text(f"SELECT {verb}(:k)"), {"k": key}).scalar()
        if got is False:
            raise LockBusy(name)
        yield  # released by the transaction's end
        return
    # A connection of its own holds the (session-level) lock while the work commits on others.
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        verb = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        if conn.execute(text(f"SELECT {verb}(:k)"), {"k": key}).scalar() is False:
            raise LockBusy(name)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


@contextmanager
def _file_lock(path: Path, name: str, *, wait: bool) -> Iterator[None]:
    # A descriptor of its own for each holder: flock locks belong to an open file, so two threads of one process
    # exclude each other as two processes do.
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise LockBusy(name) from exc
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@contextmanager
def _memory_lock(name: str, *, wait: bool) -> Iterator[None]:
    # An in-memory database lives in one process: a lock of the process is enough.
    lock = _MEMORY_LOCKS.setdefault(name, threading.Lock())
    if not lock.acquire(blocking=wait):
        raise LockBusy(name)
    try:
        yield
    finally:
        lock.release()
