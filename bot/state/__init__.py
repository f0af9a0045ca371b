"""Shared state (per-user context, retry de-duplication, the knowledge version stamp).

One interface, several backends, as WeRoBot's session storages: the embedded store serves
every gunicorn worker on one machine; Redis serves several machines, with the embedded store
as the fallback while Redis is out of reach.
"""

from bot.store.base import StateStore, StoreUnavailable
from bot.store.embedded import EmbeddedStore
from bot.store.memory import MemoryStore
from bot.store.redis import RedisStore
from bot.store.resilient import CircuitBreaker, ResilientStore

__all__ = [
    "CircuitBreaker",
    "EmbeddedStore",
    "MemoryStore",
    "RedisStore",
    "ResilientStore",
    "StateStore",
    "StoreUnavailable",
    "open_store",
]


def open_store(data_dir, redis_url: str = "") -> StateStore:
    """The store the configuration asks for: Redis (falling back to the embedded store while
    it is unreachable) when a URL is set, else embedded."""
    if redis_url:
        return ResilientStore(RedisStore(redis_url), EmbeddedStore(data_dir))
    return EmbeddedStore(data_dir)
