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
from typing import Any, Literal, TypeVar, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.state.base import KEEP, Begun, StoreUnavailable, Turn, Window

KEY_PREFIX = "forumbot:"
SOCKET_TIMEOUT = 0.5  # seconds, to connect and for each reply

T = TypeVar("T")

# One hit in a fixed window: the first starts it (its expiry), the others only count.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""
# A message's begin (bot.state.turns.plan, the same steps): KEYS stamp, claim, context,
# signed URL, counter; ARGV the claim's value and ttl, the body's digest ('' when the URL is
# not checked) and ttl, the counter's window ('0' when not counted).
_BEGIN = """
local stamp = redis.call('GET', KEYS[1])
if ARGV[3] ~= '' then
  local seen = redis.call('GET', KEYS[4])
  if not seen then
    redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
  elseif seen ~= ARGV[3] then
    return {'reused', stamp}
  end
end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'taken', stamp, redis.call('GET', KEYS[2])}
end
local count = false
if ARGV[5] ~= '0' then
  count = redis.call('INCR', KEYS[5])
  if count == 1 then redis.call('PEXPIRE', KEYS[5], ARGV[5]) end
end
return {'claimed', stamp, false, count, redis.call('GET', KEYS[3])}
"""
# A message's finish: KEYS claim, context; ARGV the reply and its ttl, then what becomes of
# the conversation ('keep', 'drop', or 'set' with the state and its ttl). A script rather
# than MULTI/EXEC: the same one round trip and all-or-nothing, with one reply to read
# instead of one per command.
_FINISH = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] == 'drop' then
  redis.call('DEL', KEYS[2])
elseif ARGV[3] == 'set' then
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
end
return 1
"""


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
        self._count = self.client.register_script(_COUNT)
        self._begin = self.client.register_script(_BEGIN)
        self._finish = self.client.register_script(_FINISH)

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _run(self, command: Callable[[], T]) -> T:
        with unavailable_as_store_error():
            return command()

    def get(self, key: str) -> Any | None:
        raw = self._run(lambda: self.client.get(self._key(key)))
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        data = _dump(value)
        if ttl is not None and ttl <= 0:  # already expired, as in the other backends
            self._run(lambda: self.client.delete(self._key(key)))
        else:
            self._run(lambda: self.client.set(self._key(key), data, px=_millis(ttl)))

    def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
        """SET NX: atomic across every machine, which is what claiming a retry needs."""
        if ttl is not None and ttl <= 0:  # would expire at once: only say whether it was free
            return not self._run(lambda: self.client.exists(self._key(key)))
        data = _dump(value)
        return bool(
            self._run(lambda: self.client.set(self._key(key), data, px=_millis(ttl), nx=True))
        )

    def delete(self, key: str) -> None:
        self._run(lambda: self.client.delete(self._key(key)))

    def count(self, key: str, window: Window) -> int:
        ms = _millis(window.seconds) or 1
        return int(self._run(lambda: self._count(keys=[self._key(key)], args=[ms])))

    def begin(self, turn: Turn, pending: Any) -> Begun:
        """One EVALSHA (the script is sent once per server start)."""
        digest, signed_ms, signed_key = "", 0, turn.claim
        if turn.signed is not None:
            signed_key, value, ttl = turn.signed
            digest, signed_ms = _dump(value), _millis(ttl) or 0
        rate_key, window_ms = turn.claim, 0
        if turn.rate is not None:
            rate_key, window_ms = turn.rate[0], _millis(turn.rate[1].seconds) or 0
        keys = [turn.stamp, turn.claim, turn.context, signed_key, rate_key]
        args: list[str | int] = [
            _dump(pending),
            _millis(turn.claim_ttl) or 1,
            digest,
            signed_ms,
            window_ms,
        ]
        found = self._run(lambda: self._begin(keys=[self._key(k) for k in keys], args=args))
        state, stamp, stored, count, context = [*found, None, None, None, None][:5]
        return Begun(
            cast(Literal["claimed", "taken", "reused"], state.decode()),
            _loads(stamp),
            stored=_loads(stored),
            count=None if count is None else int(count),
            context=_loads(context),
        )

    def finish(
        self, turn: Turn, reply: Any, reply_ttl: float, context: Any, context_ttl: float
    ) -> None:
        """One EVALSHA: the reply and the conversation are written together or not at all."""
        args: list[str | int] = [_dump(reply), _millis(reply_ttl) or 1]
        if context is None:
            args.append("drop")
        elif context is KEEP:
            args.append("keep")
        else:
            args += ["set", _dump(context), _millis(context_ttl) or 1]
        keys = [self._key(turn.claim), self._key(turn.context)]
        self._run(lambda: self._finish(keys=keys, args=args))

    def ping(self) -> bool:
        return bool(self._run(self.client.ping))

    def close(self) -> None:
        self.client.close()


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # json.dumps with options makes one a call


def _dump(value: Any) -> str:
    return _ENCODER.encode(value)


def _loads(raw: bytes | None) -> Any:
    return None if raw is None else json.loads(raw)


def _millis(ttl: float | None) -> int | None:
    return None if ttl is None else max(1, round(ttl * 1000))
