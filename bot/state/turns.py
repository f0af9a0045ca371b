"""A message's begin, decided once for the backends that hold their rows themselves (the
embedded and the in-memory store): given the live rows of the turn's keys, what it found and
what to write. Redis runs the same steps as a server-side script (bot.state.redis), so the
three agree on every case: the tests hold them to one contract (tests/test_stores.py)."""

from __future__ import annotations

from typing import Any

from bot.state.base import Begun, Turn, Window

Row = tuple[Any, float | None]  # a value and when it expires (None: never), on the store's clock


def keys_of(turn: Turn) -> list[str]:
    """Every key ``begin`` reads, read together."""
    keys = [turn.stamp, turn.claim, turn.context]
    if turn.signed is not None:
        keys.append(turn.signed[0])
    if turn.rate is not None:
        keys.append(turn.rate[0])
    return keys


def counted(row: Row | None, window: Window, now: float) -> Row:
    """The counter after one more hit: a new window at the first, else the same window."""
    if row is None:
        return 1, now + window.seconds
    return int(row[0]) + 1, row[1]


def plan(
    turn: Turn, pending: Any, rows: dict[str, Row], now: float
) -> tuple[Begun, dict[str, Row]]:
    """What ``begin`` finds in ``rows`` (live rows only) and the rows it writes."""
    stamp = rows[turn.stamp][0] if turn.stamp in rows else None
    writes: dict[str, Row] = {}
    if turn.signed is not None:
        key, digest, ttl = turn.signed
        seen = rows.get(key)
        if seen is None:
            writes[key] = (digest, now + ttl)
        elif seen[0] != digest:
            return Begun("reused", stamp), {}
    if turn.claim in rows:
        return Begun("taken", stamp, stored=rows[turn.claim][0]), writes
    writes[turn.claim] = (pending, now + turn.claim_ttl)
    count = None
    if turn.rate is not None:
        key, window = turn.rate
        writes[key] = counted(rows.get(key), window, now)
        count = int(writes[key][0])
    context = rows[turn.context][0] if turn.context in rows else None
    return Begun("claimed", stamp, count=count, context=context), writes
