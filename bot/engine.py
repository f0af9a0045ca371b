"""The one holder of mutable state: the knowledge base currently serving.

Everything that answers (webhook handlers, console, CLI) asks through an Engine, so a
reload swaps one reference and requests in flight finish on the base they started with.
"""

from __future__ import annotations

import threading
import time

from bot.answer import Answer, compose_answer
from bot.config import Config
from knowledge.base import KnowledgeBase, build_knowledge_base


class Engine:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.started_at = time.time()
        self._kb: KnowledgeBase | None = None
        self._reload_lock = threading.Lock()

    @property
    def knowledge(self) -> KnowledgeBase | None:
        return self._kb

    def load(self) -> KnowledgeBase:
        """Build from the knowledge folder and swap in; on error the old base keeps serving."""
        with self._reload_lock:
            kb = build_knowledge_base(self.config.knowledge_dir)
            self._kb = kb
            return kb

    def ask(self, question: str, *, user: str | None = None, channel: str = "console") -> Answer:
        """Answer one question. ``user`` is already a keyed hash (see bot.privacy), never an
        OpenID; ``channel`` says where the question came from (wechat, console, admin)."""
        kb = self._kb or self.load()
        return compose_answer(kb, question)
