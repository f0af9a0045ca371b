"""Per-user rate limit (BOT_RATE_LIMIT, e.g. ``20/minute``): a user sending faster gets a
polite note instead of an answer, so one account cannot monopolise the workers.

The count lives in the state store, beside the rest of a user's state: the webhook counts
inside the message's begin (bot.state.base.Turn), the same round trip as its claim, so that
WeChat's retries are not counted again and a message costs no round trip of its own for it.
With Redis the count is shared by every machine and, during an outage, kept by the
machine's embedded store (the same circuit breaker as the rest of the state). A fixed
window, started by the user's first message: what every backend does atomically in the
transaction or script it already runs, and exact within its window.

``limits`` only reads the notation: flask-limiter's decorators key a request by what Flask
sees (address, route), while here the key is the hashed OpenID inside the (possibly
encrypted) XML body.
"""

from __future__ import annotations

from limits import RateLimitItem, parse

from bot.state.base import StateStore, Window


def parse_rate_limit(text: str) -> RateLimitItem | None:
    """The limit ``text`` describes (``limits`` notation, e.g. ``20/minute``, ``5 per
    second``); None when empty or ``0`` (no limit). ValueError when unreadable."""
    text = (text or "").strip()
    if text in ("", "0"):
        return None
    usage = f"BOT_RATE_LIMIT must be one limit like 20/minute, or 0 to disable it: {text!r}"
    if any(mark in text for mark in ";,|"):  # limits' parse reads the first of several
        raise ValueError(usage)
    try:
        item = parse(text)
    except ValueError as exc:
        raise ValueError(usage) from exc
    if item.amount < 1:  # 0/minute would refuse every question
        raise ValueError(usage)
    return item


class RateLimiter:
    def __init__(self, limit: RateLimitItem, store: StateStore) -> None:
        self.limit = limit
        self.window = Window(limit.amount, float(limit.get_expiry()))
        self._store = store

    @staticmethod
    def key(user: str) -> str:
        """The counter of ``user`` (a keyed hash) in the state store."""
        return f"rate:{user}"

    def allowed(self, count: int) -> bool:
        """Whether a message that made its window's count ``count`` may be answered."""
        return count <= self.window.limit

    def allow(self, user: str) -> bool:
        """Count one message of ``user`` on its own (one round trip); False when it is over
        the limit. The webhook counts in the message's begin instead."""
        return self.allowed(self._store.count(self.key(user), self.window))


def open_rate_limiter(text: str, store: StateStore) -> RateLimiter | None:
    """The limiter for BOT_RATE_LIMIT, counting in ``store``; None when disabled."""
    limit = parse_rate_limit(text)
    return None if limit is None else RateLimiter(limit, store)
