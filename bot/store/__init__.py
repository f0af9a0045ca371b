"""Shared state (per-user context, retry de-duplication, the knowledge version stamp).

One interface, several backends, as WeRoBot's session storages: the embedded store serves
every gunicorn worker on one machine; a Redis backend serves several machines.
"""

from bot.store.base import StateStore
from bot.store.embedded import EmbeddedStore
from bot.store.memory import MemoryStore

__all__ = ["EmbeddedStore", "MemoryStore", "StateStore", "open_store"]


def open_store(data_dir, redis_url: str = "") -> StateStore:
    """The store the configuration asks for: Redis when a URL is set, else embedded."""
    if redis_url:
        raise NotImplementedError("the Redis backend is not implemented yet")
    return EmbeddedStore(data_dir)
