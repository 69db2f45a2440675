"""The counters file of the embedded default (irritants.ratelimit_store): shared by every process that opens it,
windows that expire, no client address in clear."""

from __future__ import annotations

import multiprocessing as mp

import time_machine
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from irritants.ratelimit_store import SQLiteStorage, storage_uri


def _hit_many(uri: str, n: int, queue) -> None:
    limiter = FixedWindowRateLimiter(storage_from_string(uri))
    item = RateLimitItemPerMinute(50)
    queue.put(sum(limiter.hit(item, "203.0.113.7") for _ in range(n)))


def test_processes_opening_the_same_file_share_one_count(tmp_path):
    uri = storage_uri(tmp_path / "ratelimits.sqlite3")
    assert isinstance(storage_from_string(uri), SQLiteStorage)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_hit_many, args=(uri, 40, queue)) for _ in range(3)]
    for proc in procs:
        proc.start()
    allowed = sum(queue.get(timeout=30) for _ in procs)
    for proc in procs:
        proc.join(10)
    assert allowed == 50  # 120 hits from three processes, a limit of 50 per minute


def test_a_window_ends_and_counting_starts_again(tmp_path):
    storage = storage_from_string(storage_uri(tmp_path / "ratelimits.sqlite3"))
    limiter = FixedWindowRateLimiter(storage)
    item = RateLimitItemPerMinute(2)
    with time_machine.travel(1_800_000_000, tick=False) as traveller:
        assert [limiter.hit(item, "k") for _ in range(3)] == [True, True, False]
        reset_at, remaining = limiter.get_window_stats(item, "k")
        assert remaining == 0 and reset_at == 1_800_000_060
        traveller.shift(61)
        assert limiter.hit(item, "k") is True
        assert limiter.get_window_stats(item, "k")[1] == 1
    limiter.clear(item, "k")
    assert storage.get(item.key_for("k")) == 0
    assert storage.check() is True


def test_the_file_keeps_no_client_address(tmp_path):
    path = tmp_path / "ratelimits.sqlite3"
    limiter = FixedWindowRateLimiter(storage_from_string(storage_uri(path)))
    limiter.hit(RateLimitItemPerMinute(5), "198.51.100.23")
    assert b"198.51.100.23" not in path.read_bytes() + (tmp_path / "ratelimits.sqlite3-wal").read_bytes()
