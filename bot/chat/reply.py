"""What the bot says back to one message, as every handler returns it and the retry claims
keep it: the transport type between the conversation and the WeChat renderer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ReplyKind(StrEnum):
    """Why a reply says what it says; logged with every message, so the log tells answers
    from refusals without reading the text. A StrEnum: its members are their log strings."""

    ANSWER = "answer"  # composed from the knowledge (answered or not: see Reply.answered)
    PASSAGE = "passage"  # a cited passage in full, asked for by its number
    WELCOME = "welcome"  # a new follower
    HINT = "hint"  # how to ask: a number with nothing to cite, a voice with no transcript
    UNSUPPORTED = "unsupported"  # a message the bot cannot read (image, location, …)
    BUSY = "busy"  # a retry whose first run is still composing
    LIMITED = "limited"  # over the user's rate limit
    ERROR = "error"  # the handler failed; the user gets an apology
    NONE = "none"  # nothing to say (an unfollow, a menu link opened)


@dataclass(frozen=True)
class Reply:
    """``text`` None means no reply at all (WeChat's "success")."""

    text: str | None
    kind: ReplyKind
    answered: bool | None = None
    top_score: float | None = None
    asked: str | None = None  # the question sent to the engine, after any rewriting

    def to_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict, which deep-copies every field: this runs for every message.
        return {
            "text": self.text,
            "kind": self.kind.value,
            "answered": self.answered,
            "top_score": self.top_score,
            "asked": self.asked,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(
            data.get("text"),
            ReplyKind(data["kind"]),
            data.get("answered"),
            data.get("top_score"),
            data.get("asked"),
        )


NO_REPLY = Reply(None, ReplyKind.NONE)
