"""Rate-limit counters in diskcache, so every gunicorn worker of one machine counts together.

``limits`` ships in-memory storage (one count per worker: with N workers a user would get N
times the limit) and network storages (Redis, Memcached, MongoDB: a server to run even on a
single machine). The bot already keeps its per-machine state in diskcache, whose ``incr``
is an atomic SQLite update; this adapter puts the fixed-window counters there, next to it,
with nothing new to run. Only the fixed window is supported: a moving window would need a
list of timestamps per user, rewritten on every hit.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import diskcache
from limits.storage import Storage


class DiskcacheStorage(Storage):
    """A ``limits`` Storage over a diskcache directory (for FixedWindowRateLimiter)."""

    STORAGE_SCHEME = None  # built directly, never from a URI

    def __init__(self, directory: str | Path) -> None:
        super().__init__()
        Path(directory).mkdir(parents=True, exist_ok=True)
        self._cache = diskcache.Cache(str(directory))

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (diskcache.Timeout, sqlite3.Error)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """The count after adding ``amount``; the window (expiry) starts with the first hit."""
        with self._cache.transact(retry=True):
            self._cache.add(key, 0, expire=expiry, retry=True)
            return self._cache.incr(key, amount, retry=True)

    def get(self, key: str) -> int:
        return self._cache.get(key, 0, retry=True)

    def get_expiry(self, key: str) -> float:
        value, expire_time = self._cache.get(key, expire_time=True, retry=True)
        return time.time() if value is None or expire_time is None else expire_time

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        return self._cache.clear(retry=True)

    def clear(self, key: str) -> None:
        self._cache.delete(key, retry=True)

    def close(self) -> None:
        self._cache.close()
