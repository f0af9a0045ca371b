"""The welcome message and the custom menu's preset questions, read from a TOML file so an
operator can change them without touching code."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import ConfigError
from bot.wechat.limits import MAX_REPLY_BYTES

DEFAULT_MENU_FILE = Path(__file__).with_name("menu.toml")
_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")


class MenuError(ConfigError):
    """The menu file is missing or malformed; raised at startup, never per request."""


@dataclass(frozen=True)
class Menu:
    welcome: str
    questions: dict[str, str] = field(default_factory=dict)  # CLICK EventKey -> question


def load_menu(path: str | Path = DEFAULT_MENU_FILE) -> Menu:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MenuError(f"{path.name}: cannot read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MenuError(f"{path.name}: not valid TOML ({exc})") from exc
    welcome = data.get("welcome")
    if not isinstance(welcome, str) or not welcome.strip():
        raise MenuError(f"{path.name}: 'welcome' must be a non-empty string")
    if len(welcome.strip().encode("utf-8")) > MAX_REPLY_BYTES:
        raise MenuError(f"{path.name}: 'welcome' is over {MAX_REPLY_BYTES} bytes")
    questions = data.get("questions", {})
    if not isinstance(questions, dict):
        raise MenuError(f'{path.name}: [questions] must be a table of KEY = "question"')
    for key, question in questions.items():
        if not _KEY.match(key):
            raise MenuError(f"{path.name}: menu key {key!r} is not a valid WeChat event key")
        if not isinstance(question, str) or not question.strip():
            raise MenuError(f"{path.name}: menu key {key!r} needs a question")
    return Menu(welcome.strip(), {k: q.strip() for k, q in questions.items()})
