"""Shared state in Redis, for several machines.

Every call is one round trip with short socket timeouts: a reply must reach WeChat within
5 s, so an unreachable Redis has to fail fast (StoreUnavailable) and let the caller fall
back (bot.state.resilient) rather than stall. Values are JSON, so any process, in any
language, can read them; keys share one prefix so the bot can live in a shared database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.state.base import StoreUnavailable

KEY_PREFIX = "forumbot:"
SOCKET_TIMEOUT = 0.5  # seconds, to connect and for each reply

T = TypeVar("T")


def redis_client(
    url: str, timeout: float = SOCKET_TIMEOUT, connect_timeout: float | None = None
) -> redis.Redis:
    """A client that gives up quickly. A refused connection is retried once, at once: after
    a Redis restart each pooled connection is stale and fails on first use, which is no
    outage. A timeout is not retried, so a hung server costs one ``timeout`` per call."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout if connect_timeout is None else connect_timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    )


# Redis cannot serve now: down, hung, refusing the password, loading its data, out of
# memory, or a replica refusing writes after a failover. Other errors are bugs, not outages.
UNAVAILABLE = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.MasterDownError,
    redis.exceptions.TryAgainError,
)


@contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    try:
        yield
    except UNAVAILABLE as exc:
        raise StoreUnavailable(f"Redis is unavailable: {type(exc).__name__}: {exc}") from exc


class RedisStore:
    backend = "redis"

    def __init__(self, url: str, *, prefix: str = KEY_PREFIX, timeout: float = SOCKET_TIMEOUT):
        self.url = url
        self.prefix = prefix
        self.client = redis_client(url, timeout)

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _run(self, command: Callable[[], T]) -> T:
        with unavailable_as_store_error():
            return command()

    def get(self, key: str) -> Any | None:
        raw = self._run(lambda: self.client.get(self._key(key)))
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        data = json.dumps(value, ensure_ascii=False)
        if ttl is not None and ttl <= 0:  # already expired, as in the other backends
            self._run(lambda: self.client.delete(self._key(key)))
        else:
            self._run(lambda: self.client.set(self._key(key), data, px=_millis(ttl)))

    def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
        """SET NX: atomic across every machine, which is what claiming a retry needs."""
        if ttl is not None and ttl <= 0:  # would expire at once: only say whether it was free
            return not self._run(lambda: self.client.exists(self._key(key)))
        data = json.dumps(value, ensure_ascii=False)
        return bool(
            self._run(lambda: self.client.set(self._key(key), data, px=_millis(ttl), nx=True))
        )

    def delete(self, key: str) -> None:
        self._run(lambda: self.client.delete(self._key(key)))

    def ping(self) -> bool:
        return bool(self._run(self.client.ping))

    def close(self) -> None:
        self.client.close()


def _millis(ttl: float | None) -> int | None:
    return None if ttl is None else max(1, round(ttl * 1000))
