"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from bot import create_app
from bot.log import setup_logging

setup_logging()
app = create_app()
