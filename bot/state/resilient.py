"""Redis first, the machine's own store when Redis is out of reach.

A reply must never wait on a dead Redis, and a Redis outage must not take the bot down: the
workers of one machine keep agreeing with each other through the embedded store in
BOT_DATA_DIR (follow-ups and retry claims still work within the machine), and only the
sharing between machines is lost until Redis is back.

A circuit breaker keeps an outage cheap: after a failure Redis is skipped for ``cooldown``
seconds, then the next call probes it again. Its state changes are logged once each, per
process: one warning when an outage starts, one info line when Redis answers again, never a
line per request. What was written locally during the outage stays local (a follow-up to an
answer given during the outage may, after recovery, find nothing); state is short-lived
(minutes), so this is accepted rather than reconciled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bot.state.base import KEEP, Begun, StateStore, StoreUnavailable, Turn, Window

log = logging.getLogger(__name__)

COOLDOWN = 5.0  # seconds Redis is left alone after a failure before it is probed again

T = TypeVar("T")


class CircuitBreaker:
    """Whether to try the shared backend now; shared by every user of that backend in one
    process (the state store and the rate limiter), so an outage is noticed and reported
    once."""

    def __init__(self, name: str = "Redis", cooldown: float = COOLDOWN) -> None:
        self.name = name
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._down_since: float | None = None  # monotonic time the outage started
        self._failed_at = 0.0  # monotonic time of the last failure

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def allows(self) -> bool:
        """True while closed, and again once the cooldown is over (the call is a probe)."""
        return self._down_since is None or time.monotonic() - self._failed_at >= self.cooldown

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._failed_at = time.monotonic()
            if self._down_since is not None:
                return  # a failed probe: still the same outage
            self._down_since = self._failed_at
        log.warning(
            "%s is unavailable: using this machine's local store; shared behaviour across "
            "machines is suspended until it is back",
            self.name,
            extra={"fields": {"error": str(exc), "retry_after_s": self.cooldown}},
        )

    def succeeded(self) -> None:
        if self._down_since is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._down_since is None:
                return
            outage = time.monotonic() - self._down_since
            self._down_since = None
        log.info(
            "%s is reachable again: shared behaviour resumes",
            self.name,
            extra={"fields": {"outage_s": round(outage, 1)}},
        )

    def call(self, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
        """``primary()`` unless the breaker is open or it fails; then ``fallback()``."""
        if self.allows():
            try:
                result = primary()
            except StoreUnavailable as exc:
                self.failed(exc)
            else:
                self.succeeded()
                return result
        return fallback()


# keys whose writes must reach every machine even when made during an outage: a session
# revoked by a logout
OWED = ("admin:revoked:",)


class ResilientStore:
    """A StateStore: every call goes to ``primary`` unless the breaker sends it to
    ``fallback``."""

    def __init__(
        self, primary: StateStore, fallback: StateStore, breaker: CircuitBreaker | None = None
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.breaker = breaker or CircuitBreaker()
        # writes of OWED keys made on this machine only, during an outage: put into Redis
        # once it answers again, or a logout made then would come undone
        self._owed: dict[str, tuple[Any, float | None]] = {}
        self._owed_finishes: list[tuple[float, tuple[Any, ...]]] = []

    def check(self) -> str | None:
        """Why the machine's own store, which carries on through an outage, cannot be written."""
        check = getattr(self.fallback, "check", None)
        return check() if check is not None else None

    @property
    def healthy(self) -> bool:
        """Whether the last call reached Redis; costs nothing (no round trip)."""
        return not self.breaker.down

    @property
    def backend(self) -> str:
        return "redis" if self.healthy else "redis-down(local)"

    def _call(self, method: str, *args: Any) -> Any:
        result = self.breaker.call(
            lambda: getattr(self.primary, method)(*args),
            lambda: getattr(self.fallback, method)(*args),
        )
        if (self._owed or self._owed_finishes) and not self.breaker.down:  # Redis is back
            self._pay()
        return result

    def get(self, key: str) -> Any | None:
        return self._call("get", key)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        self._call("set", key, value, ttl)
        if key.startswith(OWED) and self.breaker.down:  # written here only: owed to Redis
            self._owed[key] = (value, None if ttl is None else time.time() + ttl)

    def _pay(self) -> None:
        """Put the owed writes into Redis, now that it answers (what is left of their time)."""
        while self._owed_finishes:
            at, (turn, reply, reply_ttl, context, context_ttl) = self._owed_finishes.pop(0)
            if time.time() - at < reply_ttl:
                try:
                    self.primary.finish(turn, reply, reply_ttl, KEEP, context_ttl)
                except StoreUnavailable:
                    self._owed_finishes.insert(
                        0, (at, (turn, reply, reply_ttl, context, context_ttl))
                    )
                    return
        while self._owed:
            key, (value, until) = self._owed.popitem()
            left = None if until is None else until - time.time()
            if left is None or left > 0:
                try:
                    self.primary.set(key, value, left)
                except StoreUnavailable:
                    self._owed[key] = (value, until)
                    return

    def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
        return self._call("add", key, value, ttl)

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def count(self, key: str, window: Window) -> int:
        return self._call("count", key, window)

    def begin(self, turn: Turn, pending: Any) -> Begun:
        return self._call("begin", turn, pending)

    def finish(
        self, turn: Turn, reply: Any, reply_ttl: float, context: Any, context_ttl: float
    ) -> None:
        self._call("finish", turn, reply, reply_ttl, context, context_ttl)
        if self.breaker.down:  # a begin timed out may yet run in Redis and leave its claim:
            # the reply is owed to it, or WeChat's retries of this message would wait there
            self._owed_finishes.append(
                (time.time(), (turn, reply, reply_ttl, context, context_ttl))
            )

    def close(self) -> None:
        self.primary.close()
        self.fallback.close()
