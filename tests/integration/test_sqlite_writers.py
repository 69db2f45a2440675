"""Threads of one process take turns for SQLite's single writer in-process (irritants.db.WriterQueue), so they
never wait in SQLite's busy handler, whose growing sleeps made the tail latency of intake six times the baseline's.

The engine's busy timeout is set to 0 here: a thread that reached ``BEGIN IMMEDIATE`` while another held the write
lock would fail at once with "database is locked", so any failure means the turns did not hold."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text

from irritants.db import make_engine

THREADS = 8
TRANSACTIONS = 25


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.sqlite3'}")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA busy_timeout = 0")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        conn.execute(text("CREATE TABLE entry (id INTEGER PRIMARY KEY, who TEXT NOT NULL)"))
        conn.execute(text("INSERT INTO counter (id, value) VALUES (1, 0)"))
    yield engine
    engine.dispose()


def _hammer(engine, work) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(who: int) -> None:
        start.wait()
        for n in range(TRANSACTIONS):
            try:
                work(engine, who, n)
            except BaseException as exc:  # collected and asserted on
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(who,)) for who in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_concurrent_writers_of_one_process_never_meet_the_database_lock(engine):
    def read_then_write(engine, who, n):
        with engine.begin() as conn:
            value = conn.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
            conn.execute(text("INSERT INTO entry (who) VALUES (:who)"), {"who": f"{who}-{n}"})
            conn.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})

    errors = _hammer(engine, read_then_write)
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM counter")).scalar_one() == THREADS * TRANSACTIONS
        assert conn.execute(text("SELECT count(DISTINCT who) FROM entry")).scalar_one() == THREADS * TRANSACTIONS


def test_a_rolled_back_or_abandoned_transaction_gives_its_turn_back(engine):
    class Refused(Exception):
        pass

    def fail_or_abandon(engine, who, n):
        if n % 3 == 0:  # an exception inside the transaction: ROLLBACK
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO entry (who) VALUES ('rolled back')"))
                raise Refused
        if n % 3 == 1:  # a connection closed with its transaction open: the pool's reset rolls back
            conn = engine.connect()
            conn.begin()
            conn.execute(text("INSERT INTO entry (who) VALUES ('abandoned')"))
            conn.close()
            return
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO entry (who) VALUES (:who)"), {"who": f"{who}-{n}"})

    errors = _hammer(engine, fail_or_abandon)
    assert errors and all(isinstance(e, Refused) for e in errors)
    assert len(errors) == THREADS * len(range(0, TRANSACTIONS, 3))
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT who FROM entry")).scalars().all()
    assert len(kept) == THREADS * len([n for n in range(TRANSACTIONS) if n % 3 == 2])
    assert "rolled back" not in kept and "abandoned" not in kept


def test_readers_do_not_queue_behind_a_writer(engine):
    reader = engine.execution_options(sqlite_begin="DEFERRED")
    with engine.begin() as writer:
        writer.execute(text("UPDATE counter SET value = 41 WHERE id = 1"))
        seen: list[int] = []
        thread = threading.Thread(
            target=lambda: seen.append(reader.connect().execute(text("SELECT value FROM counter")).scalar_one())
        )
        thread.start()
        thread.join(5)
        assert seen == [0]  # answered while the writer still held its turn, without its uncommitted change


def _writer_process(url: str, n: int, queue) -> None:
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA busy_timeout = 0")

    failures = 0
    for _ in range(n):
        try:
            with engine.begin() as conn:
                value = conn.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
                conn.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})
        except Exception:
            failures += 1
    engine.dispose()
    queue.put(failures)


def test_writers_of_several_processes_take_turns_too(engine):
    import multiprocessing as mp

    url = str(engine.url)
    engine.dispose()
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_writer_process, args=(url, 60, queue)) for _ in range(3)]
    for proc in procs:
        proc.start()
    failures = [queue.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(10)
    assert failures == [0, 0, 0]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM counter")).scalar_one() == 180
