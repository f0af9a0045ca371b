"""The one services object of an app: what create_app opened, which every blueprint reads
from ``current_app.extensions`` instead of importing back from the app module."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from bot.chat.engine import Engine
from bot.config import Config
from bot.state import RateLimiter, StateStore
from bot.state.attempts import Attempts
from bot.wechat.protocol import Protocol
from handlers.menu import Menu
from knowledge.persona import Persona

KEY = "forumbot"  # app.extensions[KEY]


@dataclass(frozen=True)
class Services:
    config: Config
    engine: Engine
    store: StateStore  # shared by every worker: conversations, retry claims, the stamp
    wechat: Protocol
    menu: Menu | None  # BOT_MENU_FILE's; None: the persona's, which follows reloads
    # OpenIDs are hashed with secrets["user"] (bot.state.privacy); kept in a dict, the one
    # thing here that changes: after the shared store lost it, it is put back or taken anew
    secrets: dict[str, str]
    limiter: RateLimiter | None  # None: BOT_RATE_LIMIT is off
    admin_failures: Attempts  # admin credentials tried, per client address (bot.web.throttle)

    @property
    def user_key(self) -> str:
        return self.secrets["user"]

    @property
    def persona(self) -> Persona:
        """The words of the knowledge now serving."""
        kb = self.engine.knowledge
        return kb.persona if kb is not None else Persona()

    def close(self) -> None:
        """Release what create_app opened (connections, files, the query log's writer): for
        tests and tools that make many apps in one process; a worker's end releases them."""
        if self.engine.shared is not None:
            self.engine.shared.close()
        if self.engine.querylog is not None:
            self.engine.querylog.close()
        self.store.close()


def services() -> Services:
    """The services of the app handling the current request."""
    services: Services = current_app.extensions[KEY]
    return services


def get_engine() -> Engine:
    return services().engine


def get_store() -> StateStore:
    """The state shared by every worker (per-user conversations, retry claims)."""
    return services().store
