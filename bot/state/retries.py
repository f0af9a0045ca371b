"""WeChat retries a message it got no reply to within 5 s, up to three times. Each message is
processed once, by whichever worker claims it first in the shared store; every retry, on any
worker, gets the reply that first run produced. Replies are kept as JSON, so this module
knows nothing of what a reply is (bot.chat.reply)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.state.base import StateStore

REPLY_TTL = 300  # seconds a reply is kept for retries (WeChat's retries span ~15 s)
CLAIM_TTL = 30  # a claim whose worker died is given up after this long (gunicorn's timeout)
POLL_INTERVAL = 0.05
_PENDING = {"pending": True}


def reply_once(
    store: StateStore,
    key: str,
    compute: Callable[[], dict[str, Any]],
    *,
    wait: float = 4.0,
) -> tuple[dict[str, Any] | None, bool]:
    """The reply (as JSON) for the message ``key`` and whether it is a retry's copy; None
    (with True) when the first run is still computing after ``wait`` seconds.

    The first caller claims the key and computes; a concurrent retry waits up to ``wait``
    seconds for that result (WeChat gives up on a request after 5 s), then gives up.
    If the computation fails the claim is released, so a later retry can try again.
    """
    deadline = time.monotonic() + wait
    while True:
        if store.add(key, _PENDING, ttl=CLAIM_TTL):
            try:
                reply = compute()
            except BaseException:
                store.delete(key)
                raise
            store.set(key, reply, ttl=REPLY_TTL)
            return reply, False
        stored = store.get(key)
        if stored is not None and stored != _PENDING:
            return stored, True
        if stored is None:  # the claim was released or expired in between: claim it again
            continue
        if time.monotonic() >= deadline:
            return None, True
        time.sleep(POLL_INTERVAL)
