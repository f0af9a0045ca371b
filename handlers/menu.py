"""The welcome message and the custom menu's preset questions: the persona's
(knowledge/persona.py), or those of BOT_MENU_FILE when it is set, so an operator can change
them without touching code. Checked at startup, never per request."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.config import ConfigError
from bot.wechat.limits import MAX_REPLY_BYTES
from knowledge.errors import KnowledgeError
from knowledge.persona import Menu, parse_menu

__all__ = ["Menu", "MenuError", "check_menu", "load_menu"]


class MenuError(ConfigError):
    """The menu file is missing or malformed; raised at startup, never per request."""


def load_menu(path: str | Path) -> Menu:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MenuError(f"{path.name}: cannot read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MenuError(f"{path.name}: not valid TOML ({exc})") from exc
    try:
        menu = parse_menu(data, path.name)
    except KnowledgeError as exc:
        raise MenuError(f"{path.name}: {exc.reason}") from None
    return check_menu(menu, path.name)


def check_menu(menu: Menu, name: str) -> Menu:
    """``menu``, when its welcome fits in one WeChat reply."""
    if len(menu.welcome.encode("utf-8")) > MAX_REPLY_BYTES:
        raise MenuError(f"{name}: 'welcome' is over {MAX_REPLY_BYTES} bytes")
    return menu
