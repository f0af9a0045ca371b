"""The storage interface every backend implements."""

from __future__ import annotations

import secrets
from typing import Any, Protocol


class StoreUnavailable(ConnectionError):
    """A networked backend could not be reached in time (down, restarting, partitioned).

    Backends raise it instead of their client library's errors, so the fallback logic
    (bot.state.resilient) does not depend on which network store is behind it.
    """


class StateStore(Protocol):
    """Keys are strings; values are JSON-serialisable; ``ttl`` is in seconds (None: no expiry)."""

    @property
    def backend(self) -> str:
        """What /healthz reports: embedded, memory, redis or redis-down(local)."""
        ...

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, ttl: float | None = None) -> None: ...

    def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
        """Set only when absent; True when this call set it (used to claim a retry)."""
        ...

    def delete(self, key: str) -> None: ...

    def close(self) -> None: ...


def shared_secret(store: StateStore, key: str) -> str:
    """A random secret made once and kept in ``store``: the first process to ask makes it
    (``add`` is atomic), every other worker, and with Redis every machine, reads the same."""
    store.add(key, secrets.token_hex(32))
    return str(store.get(key))
