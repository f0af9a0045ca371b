"""Per-user rate limit (BOT_RATE_LIMIT, e.g. ``20/minute``): a user sending faster gets a
polite note instead of an answer, so one account cannot monopolise the workers.

Counts live where the rest of the shared state lives: in Redis when BOT_REDIS_URL is set
(with the same circuit breaker as the state store, so during an outage the machine counts
locally and the outage is reported once), else in diskcache in BOT_DATA_DIR, shared by every
worker of the machine. A fixed window, started by the user's first message: the cheapest
strategy every backend does atomically, and exact enough for a limit meant to stop floods.

``limits`` is used directly rather than through flask-limiter's decorators: those key a
request by what Flask sees (address, route), while here the key is the hashed OpenID inside
the (possibly encrypted) XML body, and the count must happen inside the message's first
claim so that WeChat's retries are not counted again (bot.web.webhook).
"""

from __future__ import annotations

from pathlib import Path

from limits import RateLimitItem, parse
from limits.storage import RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from bot.state.base import StateStore
from bot.state.counters import machine_counters
from bot.state.redis import KEY_PREFIX, RedisStore, unavailable_as_store_error
from bot.state.resilient import CircuitBreaker, ResilientStore

NAMESPACE = "user"


def parse_rate_limit(text: str) -> RateLimitItem | None:
    """The limit ``text`` describes (``limits`` notation, e.g. ``20/minute``, ``5 per
    second``); None when empty or ``0`` (no limit). ValueError when unreadable."""
    text = (text or "").strip()
    if text in ("", "0"):
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise ValueError(
            f"BOT_RATE_LIMIT must look like 20/minute, or be 0 to disable it: {text!r}"
        ) from exc


class RateLimiter:
    def __init__(
        self,
        limit: RateLimitItem,
        local: Storage,
        shared: Storage | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.limit = limit
        self._local = FixedWindowRateLimiter(local)
        self._shared = None if shared is None else FixedWindowRateLimiter(shared)
        self._breaker = breaker or CircuitBreaker()
        self._storages = [s for s in (local, shared) if s is not None]

    def allow(self, user: str) -> bool:
        """Count one message of ``user`` (a keyed hash); False when it is over the limit."""
        if self._shared is None:
            return self._local.hit(self.limit, NAMESPACE, user)
        shared = self._shared

        def hit_shared() -> bool:
            with unavailable_as_store_error():
                return shared.hit(self.limit, NAMESPACE, user)

        return self._breaker.call(hit_shared, lambda: self._local.hit(self.limit, NAMESPACE, user))

    def close(self) -> None:
        for storage in self._storages:
            close = getattr(storage, "close", None)
            if close is not None:
                close()


def open_rate_limiter(
    text: str, data_dir: str | Path, store: StateStore, counters: Storage | None = None
) -> RateLimiter | None:
    """The limiter for BOT_RATE_LIMIT on the backend ``store`` uses; None when disabled.
    ``counters``: the machine's counters when the caller has them open already (each
    opening costs a SQLite database per shard)."""
    limit = parse_rate_limit(text)
    if limit is None:
        return None
    local = counters if counters is not None else machine_counters(data_dir)
    if isinstance(store, ResilientStore) and isinstance(store.primary, RedisStore):
        redis_store = store.primary
        shared = RedisStorage(
            redis_store.url,
            connection_pool=redis_store.client.connection_pool,
            key_prefix=f"{KEY_PREFIX}limits",
        )
        return RateLimiter(limit, local, shared, store.breaker)
    return RateLimiter(limit, local)
