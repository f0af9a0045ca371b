"""Message handlers, one module per family, found through one registry (handlers.registry).

Importing this package imports every handler module, which registers its handlers.
"""

from __future__ import annotations

from handlers import events, media, text
from handlers.context import Context
from handlers.registry import REGISTRY, Handler, dispatch, find_handler, handles, message_key

__all__ = [
    "REGISTRY",
    "Context",
    "Handler",
    "dispatch",
    "events",
    "find_handler",
    "handles",
    "media",
    "message_key",
    "text",
]
