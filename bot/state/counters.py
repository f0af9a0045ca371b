"""Rate-limit counters in diskcache, so every gunicorn worker of one machine counts together.

``limits`` ships in-memory storage (one count per worker: with N workers a user would get N
times the limit) and network storages (Redis, Memcached, MongoDB: a server to run even on a
single machine). diskcache's ``incr`` is an atomic SQLite update, so this adapter keeps
fixed-window counters in BOT_DATA_DIR with nothing new to run. It counts what is counted
per machine and outside a message: failed admin logins (bot.web.throttle). The per-user
rate limit is counted in the state store instead, inside the message's begin
(bot.state.ratelimit). Only the fixed window is supported: a moving window would need a
list of timestamps per key, rewritten on every hit.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import zlib
from pathlib import Path

import diskcache
from limits.storage import Storage

SHARDS = 8
# Every counter expires, and diskcache culls expired keys as it writes: no size limit to
# enforce, so no eviction bookkeeping (measured: a write took 43-44 µs with it, 32-35 without).
SETTINGS = {"eviction_policy": "none"}


class DiskcacheStorage(Storage):
    """A ``limits`` Storage over a diskcache directory (for FixedWindowRateLimiter)."""

    STORAGE_SCHEME = None  # built directly, never from a URI

    def __init__(self, directory: str | Path, shards: int = SHARDS) -> None:
        super().__init__()
        # Sharded by key, as diskcache's FanoutCache is (which has no transactions): two
        # workers counting two users rarely wait for the same SQLite write lock. A shard is
        # opened when first counted in: an app that starts and counts nothing (most
        # processes of the test suite, a worker before its first message) opens none.
        self._directory = Path(directory)
        self._shards: list[diskcache.Cache | None] = [None] * shards
        self._open_lock = threading.Lock()

    def _cache(self, key: str) -> diskcache.Cache:
        return self._shard(zlib.crc32(key.encode()) % len(self._shards))

    def _shard(self, n: int) -> diskcache.Cache:
        shard = self._shards[n]
        if shard is None:
            with self._open_lock:
                shard = self._shards[n]
                if shard is None:
                    shard = diskcache.Cache(str(self._directory / f"{n:03d}"), **SETTINGS)
                    self._shards[n] = shard
        return shard

    def _opened(self) -> list[diskcache.Cache]:
        return [shard for shard in self._shards if shard is not None]

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (diskcache.Timeout, sqlite3.Error)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """The count after adding ``amount``; the window (expiry) starts with the first hit."""
        cache = self._cache(key)
        # Each call below is its own atomic transaction: a window's first hit takes one, a
        # later hit two, and both cost less than one explicit transaction around add and
        # incr (measured on one process: 33 and 25 µs against 45 and 26 µs).
        for _ in range(3):
            if cache.add(key, amount, expire=expiry, retry=True):
                return amount
            try:
                return cache.incr(key, amount, default=None, retry=True)
            except KeyError:  # the window ended between the two calls: start the next one
                continue
        raise diskcache.Timeout(f"rate counter {key!r} keeps expiring under us")

    def give_back(self, key: str, amount: int = 1) -> None:
        """Lower a count within its window (a try that turned out right); nothing when the
        window has ended, as a new one must not start below zero."""
        with contextlib.suppress(KeyError):
            self._cache(key).incr(key, -amount, default=None, retry=True)

    def get(self, key: str) -> int:
        return self._cache(key).get(key, 0, retry=True)

    def get_expiry(self, key: str) -> float:
        value, expire_time = self._cache(key).get(key, expire_time=True, retry=True)
        return time.time() if value is None or expire_time is None else expire_time

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        # every shard, also those this process has not opened: others may have counted there
        return sum(self._shard(n).clear(retry=True) for n in range(len(self._shards)))

    def clear(self, key: str) -> None:
        self._cache(key).delete(key, retry=True)

    def close(self) -> None:
        for cache in self._opened():
            cache.close()


def machine_counters(data_dir: str | Path) -> DiskcacheStorage:
    """The counters every worker of this machine shares, in BOT_DATA_DIR (failed admin
    logins): one folder, whoever counts."""
    return DiskcacheStorage(Path(data_dir) / "ratelimit")
