"""WeChat retries a message it got no reply to within 5 s, up to three times. Each message is
processed once, by whichever worker claims it first in the shared store; every retry, on any
worker, gets the reply that first run produced. Replies are kept as JSON, so this module
knows nothing of what a reply is (bot.chat.reply).

The claim is a message's begin (bot.state.base.Turn): it reads what the answer needs, the
conversation, the rate count, the knowledge stamp, in the same round trip, and the reply
and the conversation it leaves are written together in one more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.state.base import Begun, StateStore, Turn

REPLY_TTL = 300  # seconds a reply is kept for retries (WeChat's retries span ~15 s)
CLAIM_TTL = 30  # a claim whose worker died is given up after this long (gunicorn's timeout)
POLL_INTERVAL = 0.05
_PENDING = {"pending": True}


class Reused(Exception):
    """The signed URL came with another body before: a copy, not WeChat's retry."""


def answer_once(
    store: StateStore,
    turn: Turn,
    compute: Callable[[Begun], tuple[dict[str, Any], Any]],
    *,
    context_ttl: float,
    wait: float = 4.0,
) -> tuple[dict[str, Any] | None, bool]:
    """The reply (as JSON) for the message of ``turn`` and whether it is a retry's copy; None
    (with True) when the first run is still computing after ``wait`` seconds.

    The first caller claims the message and computes, from what its begin read, the reply
    and the conversation to leave (bot.state.base.KEEP: unchanged); a concurrent retry
    waits up to ``wait`` seconds for that reply (WeChat gives up on a request after 5 s),
    then gives up. If the computation fails the claim is released, so a later retry can
    try again. Reused when ``turn.signed`` names a URL seen with another body.
    """
    deadline = time.monotonic() + wait
    begun = store.begin(turn, _PENDING)
    while True:
        if begun.state == "reused":
            raise Reused(turn.signed[0] if turn.signed else "")
        if begun.state == "claimed":
            try:
                reply, context = compute(begun)
            except BaseException:
                store.delete(turn.claim)
                raise
            store.finish(turn, reply, REPLY_TTL, context, context_ttl)
            return reply, False
        if begun.stored is not None and begun.stored != _PENDING:
            return begun.stored, True
        if time.monotonic() >= deadline:
            return None, True
        time.sleep(POLL_INTERVAL)
        # again, claiming it when the first run gave its claim up meanwhile; the URL was
        # checked by the first begin
        begun = store.begin(replace(turn, signed=None), _PENDING)
