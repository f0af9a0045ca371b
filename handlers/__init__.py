"""Message handlers, one module per family, found through one registry.

The registry maps WeChat's MsgType (and, for events, the Event) to a function
``handler(message, ctx) -> Reply``. Anything not listed falls back by family: an unknown
event gets no reply, an unknown message type gets the polite "I can only read text".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.conversation import Reply
from handlers import events, media, text
from handlers.context import Context

Handler = Callable[[Any, Context], Reply]

REGISTRY: dict[str, Handler] = {
    "text": text.on_text,
    "voice": text.on_voice,
    "image": media.on_unsupported,
    "location": media.on_unsupported,
    "link": media.on_unsupported,
    "video": media.on_unsupported,
    "shortvideo": media.on_unsupported,
    "file": media.on_unsupported,
    "event:subscribe": events.on_subscribe,
    "event:scan": events.on_subscribe,
    "event:unsubscribe": events.on_unsubscribe,
    "event:click": events.on_click,
    "event:view": events.on_other_event,
}


def message_key(msg_type: str, event: str | None = None) -> str:
    """The registry key of a message: ``text``, ``image``, …, or ``event:<event>``."""
    msg_type = msg_type.strip().lower()
    if msg_type == "event":
        return f"event:{(event or '').strip().lower()}"
    return msg_type


def find_handler(key: str) -> Handler:
    if key in REGISTRY:
        return REGISTRY[key]
    return events.on_other_event if key.startswith("event:") else media.on_unsupported


def dispatch(key: str, message: Any, ctx: Context) -> Reply:
    return find_handler(key)(message, ctx)


__all__ = ["REGISTRY", "Context", "Handler", "dispatch", "find_handler", "message_key"]
