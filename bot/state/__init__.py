"""The state every worker shares: stores (one factory opens them), the Redis breaker, counters, rate limit, retry claims, the query log, builds shared through Redis.

One interface, several backends, as WeRoBot's session storages: the embedded store serves
every gunicorn worker on one machine; Redis serves several machines, with the embedded store
as the fallback while Redis is out of reach.

The embedded store keeps what a message leaves (retry claims, stored replies, rate counts,
conversations, signed URLs' records: minutes of life) in LMDB without a sync, so that a
begin and a finish are one cheap write transaction each: by decision, that state may be
lost in a machine crash. The keys that must outlive one (set without expiry: the user hash
key, the admin cookie key, the knowledge stamp; and the revoked sessions) are written to
SQLite first, synced, and copied into every LMDB environment made (bot.state.embedded).
"""

from pathlib import Path

from bot.state.base import StateStore, StoreBroken, StoreUnavailable
from bot.state.builds import SharedBuilds
from bot.state.counters import machine_counters
from bot.state.embedded import MAP_SIZE as EMBEDDED_MAP_SIZE
from bot.state.embedded import EmbeddedStore
from bot.state.memory import MemoryStore
from bot.state.ratelimit import RateLimiter, open_rate_limiter
from bot.state.redis import RedisStore
from bot.state.resilient import CircuitBreaker, ResilientStore

__all__ = [
    "CircuitBreaker",
    "EmbeddedStore",
    "MemoryStore",
    "RateLimiter",
    "RedisStore",
    "ResilientStore",
    "SharedBuilds",
    "StateStore",
    "StoreBroken",
    "StoreUnavailable",
    "machine_counters",
    "open_rate_limiter",
    "open_shared_builds",
    "open_store",
]


def open_store(
    data_dir: str | Path, redis_url: str = "", map_size: int = EMBEDDED_MAP_SIZE
) -> StateStore:
    """The store the configuration asks for: Redis (falling back to the embedded store while
    it is unreachable) when a URL is set, else embedded (``map_size``: the most its
    per-message state can hold, BOT_STATE_MAP_MB)."""
    if redis_url:
        return ResilientStore(RedisStore(redis_url), EmbeddedStore(data_dir, map_size))
    return EmbeddedStore(data_dir, map_size)


def open_shared_builds(redis_url: str, max_bytes: int) -> SharedBuilds | None:
    """Where a reload's build travels to the other machines: the Redis of the shared state
    (the same URL as open_store's), None without one."""
    return SharedBuilds(redis_url, max_bytes) if redis_url else None
