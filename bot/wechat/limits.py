"""What WeChat accepts in a passive reply: every reply the bot sends is cut to fit here."""

from __future__ import annotations

from knowledge import text

MAX_REPLY_BYTES = 2048  # WeChat's limit for a passive text reply


def fit_bytes(reply: str, limit: int = MAX_REPLY_BYTES) -> str:
    """``reply`` cut at the last sentence boundary within ``limit`` bytes (WeChat's, unless a
    caller keeps room for a header of its own)."""
    return text.fit_bytes(reply, limit)
