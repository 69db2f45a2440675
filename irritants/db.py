"""Declarative base, engine and per-request sessions.

SQLite is the embedded default: WAL, ``synchronous=FULL``, foreign keys, a busy timeout, and
write transactions opened with ``BEGIN IMMEDIATE`` so that several gunicorn workers can write
without "database is locked" failures on read-then-write. Read-only requests use a
``BEGIN DEFERRED`` session so readers never queue behind writers.

SQLite has one writer at a time. Threads of one process that wait for it in SQLite's busy handler sleep in
growing steps (up to 100 ms) and miss the moment it frees: under load that made the p99 of intake six times the
baseline's. So the threads of a process take turns in a queue of their own (:class:`WriterQueue`) before
``BEGIN IMMEDIATE`` and leave it once their COMMIT or ROLLBACK returned; a waiting thread is woken at once.
Processes of the machine take turns through a lock file next to the database, polled at a fine grain.

Jobs that must run one at a time across processes and machines take ``irritants.locks.one_at_a_time``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import fcntl
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000
log = logging.getLogger(__name__)
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Base(DeclarativeBase):
    """Root of every model; constraint names are deterministic for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite gives back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def str_enum(cls: type[enum.Enum], length: int = 30) -> Enum:
    """A string column holding an enum's values (not names), without a native database enum."""
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e], validate_strings=True
    )


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


_TURN_POLL_MAX_S = 0.0004


class WriterQueue:
    """The turn of each writer of this machine for an SQLite database's single writer.

    Threads of a process queue on a lock (woken at once when it frees); the one at the head then takes the
    database's turn file (``<database>.writers``, an ``flock`` shared by the processes of the machine), polled
    every 0.4 ms at most where SQLite's busy handler sleeps up to 100 ms (a turn lasts about a disk sync: a
    coarser poll leaves the turn idle). The turn is held from ``BEGIN IMMEDIATE``
    until COMMIT or ROLLBACK has returned (the next writer starts once the disk has synced), by at most one DBAPI
    connection. A writer that waits longer than the busy timeout goes on without its turn and leaves it to
    SQLite's busy handler, so a forgotten turn can slow writers, never stop them.
    """

    def __init__(self, timeout_s: float, lock_path: Path | None = None) -> None:
        self.timeout_s, self.lock_path = timeout_s, lock_path
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._holder_thread: int | None = None
        self._file: int | None = None  # this process's descriptor of the turn file, opened on first use
        self._holds_file = False
        _WRITER_QUEUES.add(self)

    def acquire(self, dbapi_connection: Any) -> None:
        deadline = time.monotonic() + self.timeout_s
        if not self._lock.acquire(timeout=self.timeout_s):
            log.warning("SQLite write turn not obtained in %.0f s: waiting in SQLite's busy handler", self.timeout_s)
            return
        self._holder, self._holder_thread = id(dbapi_connection), threading.get_ident()
        if self.lock_path is not None:
            self._holds_file = self._take_file(deadline)

    def _take_file(self, deadline: float) -> bool:
        if self._file is None:
            self._file = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)  # type: ignore[arg-type]
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    log.warning("SQLite write turn of the machine not obtained: waiting in SQLite's busy handler")
                    return False
                time.sleep(pause)
                pause = min(pause * 2, _TURN_POLL_MAX_S)

    def release(self, dbapi_connection: Any) -> None:
        if self._holder is not None and self._holder == id(dbapi_connection):
            if self._holds_file and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._holds_file, self._holder, self._holder_thread = False, None, None
            self._lock.release()

    def held_by_this_thread(self) -> bool:
        """Whether the calling thread is inside a write transaction that holds the turn."""
        return self._holder is not None and self._holder_thread == threading.get_ident()

    def _after_fork(self) -> None:
        # A forked child has none of its parent's threads, and must not share its parent's turn file description
        # (flock locks belong to it): start afresh.
        if self._file is not None:
            with contextlib.suppress(OSError):
                os.close(self._file)
        self._lock, self._holder, self._file, self._holds_file = threading.Lock(), None, None, False
        self._holder_thread = None


_WRITER_QUEUES: weakref.WeakSet[WriterQueue] = weakref.WeakSet()
# The write queue of each SQLite engine, by its pool (shared by the engine and its read-only variant).
_QUEUE_OF_POOL: weakref.WeakKeyDictionary[Any, WriterQueue] = weakref.WeakKeyDictionary()
os.register_at_fork(after_in_child=lambda: [queue._after_fork() for queue in list(_WRITER_QUEUES)])


def _raw(connection: Any) -> Any:
    """The DBAPI connection behind SQLAlchemy's pool proxy (the queue's key)."""
    return getattr(connection, "dbapi_connection", connection)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is DEFERRED).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    database = engine.url.database
    turn_file = Path(f"{database}.writers") if database and database != ":memory:" else None
    queue = WriterQueue(SQLITE_BUSY_TIMEOUT_MS / 1000, turn_file)
    _QUEUE_OF_POOL[engine.pool] = queue

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        raw = _raw(conn.connection)
        if mode == "IMMEDIATE":
            queue.acquire(raw)
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            queue.release(raw)
            raise

    # The turn ends when COMMIT or ROLLBACK has returned, whatever its outcome (SQLAlchemy's commit and rollback
    # events fire before them). The pool's reset on check-in goes through do_rollback too.
    dialect = engine.dialect
    plain_commit, plain_rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            plain_commit(dbapi_connection)
        finally:
            queue.release(_raw(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            plain_rollback(dbapi_connection)
        finally:
            queue.release(_raw(dbapi_connection))

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def write_turn_held(engine: Engine) -> bool:
    """True when this thread holds ``engine``'s SQLite write turn (it is inside a write transaction)."""
    queue = _QUEUE_OF_POOL.get(engine.pool)
    return queue is not None and queue.held_by_this_thread()


def _without_row_values(context: Any) -> None:
    """Drop PostgreSQL's DETAIL line from database errors: it repeats the failing row's values ("Key (email)=(…)
    already exists", "Failing row contains (…)"), which would otherwise reach the logs with every traceback."""
    orig = context.original_exception
    primary = getattr(getattr(orig, "diag", None), "message_primary", None)
    full = str(orig)
    if not primary or full == primary:
        return
    orig.args = (primary,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None and wrapped.args and isinstance(wrapped.args[0], str):
        wrapped.args = (wrapped.args[0].replace(full, primary), *wrapped.args[1:])


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the project's per-backend settings.

    Statement parameters are never shown (not in error messages, not in echo logs): they hold citizens' texts,
    agents' emails and reasons.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
        engine = create_engine(url, **kwargs)
    event.listen(engine, "handle_error", _without_row_values)
    return engine


class Database:
    """Engine and session factories bound to one app."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        read_bind = self.engine.execution_options(sqlite_begin="DEFERRED") if self.is_sqlite else self.engine
        self.read_sessions = sessionmaker(read_bind, expire_on_commit=False)

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """A write session for CLI commands and jobs; the caller commits."""
        session = self.write_sessions()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> Database:
    """Attach a Database to ``app`` and close the request session at teardown."""
    database = Database(app.config["DATABASE_URL"], echo=app.config.get("DATABASE_ECHO", False))
    app.extensions["irritants.db"] = database

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    return database


def get_db(app: Flask | None = None) -> Database:
    """The Database of ``app`` (default: the current app)."""
    return (app or current_app).extensions["irritants.db"]


def get_session() -> Session:
    """The request's session, opened lazily: read-only requests get a non-locking one on SQLite."""
    session: Session | None = g.get("db_session")
    if session is None:
        database = get_db()
        read_only = has_request_context() and request.method in _READ_METHODS
        session = (database.read_sessions if read_only else database.write_sessions)()
        g.db_session = session
    return session
