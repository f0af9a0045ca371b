"""Counts of attempts per key in fixed windows, shared by every machine when there is Redis.

The admin throttle counts wrong credentials per client address. Counted per machine, an
attacker behind a load balancer gets the limit once per machine (two machines: twice the
guesses); so with BOT_REDIS_URL the count lives in Redis, raised and given its expiry in one
script (atomic: a burst across every worker of every machine gets no more than the limit),
and during an outage each machine counts on its own disk (``machine_counters``) with the
store's circuit breaker, as the per-user rate limit does. What was counted locally during an
outage is not added to Redis afterwards: an outage gives an attacker at most the limit once
more per machine, for one window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

from bot.state.base import StateStore, StoreUnavailable
from bot.state.counters import DiskcacheStorage
from bot.state.redis import KEY_PREFIX, RedisStore, unavailable_as_store_error
from bot.state.resilient import CircuitBreaker, ResilientStore

# INCR and the window's expiry in one step: a key left without expiry (a crash between two
# commands) would lock an address out for good
HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return {n, redis.call('PTTL', KEYS[1])}
"""
# a window that ended must not start the next one below zero
GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('DECR', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Count:
    count: int  # attempts in this window, this one included
    reset_in: float  # seconds until the window ends
    shared: bool  # counted in Redis (every machine), not on this machine's disk


class Attempts:
    """Attempts per key within ``window`` seconds: in Redis (``client``) while it answers,
    else on this machine's disk (``local``)."""

    def __init__(
        self,
        window: float,
        local: DiskcacheStorage,
        client: redis.Redis | None = None,
        breaker: CircuitBreaker | None = None,
        *,
        prefix: str = KEY_PREFIX + "attempts:",
    ) -> None:
        self.window = window
        self.local = local
        self.client = client
        self.prefix = prefix
        self.breaker = breaker or CircuitBreaker()
        self._hit: Any = client.register_script(HIT) if client is not None else None
        self._give_back: Any = client.register_script(GIVE_BACK) if client is not None else None

    def hit(self, key: str) -> Count:
        """Count one attempt for ``key``; the count after it and when its window ends."""
        if self.client is None:
            return self._hit_local(key)
        return self.breaker.call(lambda: self._hit_shared(key), lambda: self._hit_local(key))

    def _hit_shared(self, key: str) -> Count:
        with unavailable_as_store_error():
            n, ttl_ms = self._hit(keys=[self.prefix + key], args=[round(self.window * 1000)])
        return Count(int(n), max(0.0, int(ttl_ms) / 1000), shared=True)

    def _hit_local(self, key: str) -> Count:
        n = self.local.incr(key, self.window)
        return Count(n, max(0.0, self.local.get_expiry(key) - time.time()), shared=False)

    def give_back(self, key: str, counted: Count) -> None:
        """Take back an attempt counted as ``counted`` was (one that turned out right), where
        it was counted; nothing when Redis cannot be reached now."""
        if not counted.shared:
            self.local.give_back(key)
            return
        try:
            with unavailable_as_store_error():
                self._give_back(keys=[self.prefix + key])
        except StoreUnavailable:  # the count stays; it ends with its window
            pass

    def close(self) -> None:
        self.local.close()


def open_attempts(window: float, store: StateStore, local: DiskcacheStorage) -> Attempts:
    """Attempts counted where ``store`` keeps shared state: with Redis, in Redis (through the
    store's connection pool and breaker), else on this machine's disk."""
    if isinstance(store, ResilientStore) and isinstance(store.primary, RedisStore):
        return Attempts(window, local, store.primary.client, store.breaker)
    return Attempts(window, local)
