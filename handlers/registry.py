"""Which function answers which message: each handler names what it handles with one
decorator, in the manner of WeRoBot's ``@robot.text`` but generic::

    @handles("event:subscribe", "event:scan")
    def on_subscribe(event, ctx) -> Reply: ...

A key is WeChat's MsgType (``text``, ``image``, …) or ``event:<Event>``, lower-cased. What no
handler names falls back by family: ``event:*`` for events, ``*`` for any other message, so
a message type WeChat adds one day still gets an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.chat.reply import Reply
from handlers.context import Context

Handler = Callable[[Any, Context], Reply]
ANY_EVENT = "event:*"
ANY_MESSAGE = "*"

# Filled once, as the handler modules are imported (handlers/__init__.py), then only read.
REGISTRY: dict[str, Handler] = {}


def handles(*keys: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for ``keys``; a key claimed twice is a bug at import."""

    def register(handler: Handler) -> Handler:
        for key in keys:
            if key in REGISTRY:
                raise ValueError(f"{key!r} is handled by {REGISTRY[key].__qualname__} already")
            REGISTRY[key] = handler
        return handler

    return register


def message_key(msg_type: str, event: str | None = None) -> str:
    """The registry key of a message: ``text``, ``image``, …, or ``event:<event>``."""
    msg_type = msg_type.strip().lower()
    if msg_type == "event":
        return f"event:{(event or '').strip().lower()}"
    return msg_type


def find_handler(key: str) -> Handler:
    fallback = ANY_EVENT if key.startswith("event:") else ANY_MESSAGE
    return REGISTRY.get(key) or REGISTRY[fallback]


def dispatch(key: str, message: Any, ctx: Context) -> Reply:
    return find_handler(key)(message, ctx)
