"""What every handler gets besides the message: the engine, the user's conversation, the menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.conversation import Conversation
from knowledge.persona import Menu, Persona, Replies

if TYPE_CHECKING:
    from bot.chat.engine import Engine


@dataclass(frozen=True)
class Context:
    engine: Engine
    conversation: Conversation
    menu: Menu

    @property
    def replies(self) -> Replies:
        """The fixed replies of the knowledge now serving (its persona)."""
        kb = self.engine.knowledge
        return (kb.persona if kb is not None else Persona()).replies
