"""An in-process store with the same interface, for the console and other single-process use.

It is not shared between processes: gunicorn workers must use the embedded or Redis store.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from bot.state.base import KEEP, Begun, Turn, Window
from bot.state.turns import Row, counted, keys_of, plan


class MemoryStore:
    backend = "memory"

    def __init__(self) -> None:
        self._items: dict[str, tuple[Any, float | None]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> tuple[Any, float | None] | None:
        item = self._items.get(key)
        if item is not None and item[1] is not None and item[1] <= time.monotonic():
            del self._items[key]
            return None
        return item

    @staticmethod
    def _deadline(ttl: float | None) -> float | None:
        return None if ttl is None else time.monotonic() + ttl

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._live(key)
            # A copy, as a real backend would return: callers may mutate what they get.
            return None if item is None else copy.deepcopy(item[0])

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        with self._lock:
            self._items[key] = (copy.deepcopy(value), self._deadline(ttl))

    def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._items[key] = (copy.deepcopy(value), self._deadline(ttl))
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def count(self, key: str, window: Window) -> int:
        with self._lock:
            row = counted(self._live(key), window, time.monotonic())
            self._items[key] = row
            return int(row[0])

    def begin(self, turn: Turn, pending: Any) -> Begun:
        with self._lock:
            rows: dict[str, Row] = {}
            for key in keys_of(turn):
                item = self._live(key)
                if item is not None:
                    rows[key] = (copy.deepcopy(item[0]), item[1])
            begun, writes = plan(turn, copy.deepcopy(pending), rows, time.monotonic())
            self._items.update(writes)
            return begun

    def finish(
        self, turn: Turn, reply: Any, reply_ttl: float, context: Any, context_ttl: float
    ) -> None:
        with self._lock:
            self._items[turn.claim] = (copy.deepcopy(reply), self._deadline(reply_ttl))
            if context is None:
                self._items.pop(turn.context, None)
            elif context is not KEEP:
                self._items[turn.context] = (copy.deepcopy(context), self._deadline(context_ttl))

    def close(self) -> None:
        with self._lock:
            self._items.clear()
