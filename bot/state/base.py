"""The storage interface every backend implements."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal, Protocol


class StoreBroken(RuntimeError):
    """The machine's state store cannot be opened or written at all (a damaged or read-only
    file, a full disk): the bot must not start on it, and says so in one line."""


class StoreUnavailable(ConnectionError):
    """A networked backend could not be reached in time (down, restarting, partitioned).

    Backends raise it instead of their client library's errors, so the fallback logic
    (bot.state.resilient) does not depend on which network store is behind it.
    """


@dataclass(frozen=True)
class Window:
    """A fixed window: its count starts with the first hit and ends ``seconds`` later."""

    limit: int
    seconds: float


@dataclass(frozen=True)
class Turn:
    """One message's shared state, named so that a backend can take it in one round trip.

    ``signed``: the signed URL's key, the digest of the body it carried and how long to
    remember it (a copied URL must not carry another body); ``claim``: the retry key (one
    run per message, retries get its reply); ``rate``: the user's counter and its window,
    counted only by the run that claims the message; ``context``: the conversation read
    when claimed; ``stamp``: the knowledge stamp, read every time (the engine follows a
    reload made elsewhere before it answers).
    """

    claim: str
    claim_ttl: float
    context: str
    stamp: str
    signed: tuple[str, str, float] | None = None
    rate: tuple[str, Window] | None = None


@dataclass(frozen=True)
class Begun:
    """What ``begin`` found. ``state``: ``claimed`` (this run answers: ``count`` and
    ``context`` are read), ``taken`` (another run claimed it: ``stored`` is its reply, or
    the pending marker while it computes), ``reused`` (the signed URL came with another
    body: nothing was claimed)."""

    state: Literal["claimed", "taken", "reused"]
    stamp: Any = None
    stored: Any = None
    count: int | None = None
    context: Any = None


KEEP: Any = object()  # finish's ``context``: leave the conversation as it was


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

    def count(self, key: str, window: Window) -> int:
        """One more hit in ``key``'s fixed window; the count after it."""
        ...

    def begin(self, turn: Turn, pending: Any) -> Begun:
        """A message's reads and its claim (``pending`` is the claim's value), in one round
        trip: one transaction, one script."""
        ...

    def finish(
        self, turn: Turn, reply: Any, reply_ttl: float, context: Any, context_ttl: float
    ) -> None:
        """A message's writes in one round trip: the reply kept for retries, and the
        conversation (KEEP: unchanged, None: dropped)."""
        ...

    def close(self) -> None: ...


def keep_secret(store: StateStore, key: str, mine: str) -> str:
    """The secret to go on with after the shared store lost its record (Redis flushed):
    ``mine``, put back, unless a machine started since and made one first, which every
    other then takes, so that all hash users and sign sessions alike again."""
    store.add(key, mine)
    return str(store.get(key) or mine)


def shared_secret(store: StateStore, key: str) -> str:
    """A random secret made once and kept in ``store``: the first process to ask makes it
    (``add`` is atomic), every other worker, and with Redis every machine, reads the same."""
    store.add(key, secrets.token_hex(32))
    return str(store.get(key))
