"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from bot.config import ConfigError
from bot.log import setup_logging
from bot.web import create_app
from knowledge.errors import KnowledgeError

setup_logging()
try:
    app = create_app()
except (ConfigError, KnowledgeError) as exc:  # one clear line instead of a traceback
    raise SystemExit(f"forumbot cannot start: {exc}") from None
