"""The Flask app: its factory, the WeChat webhook, the admin API and page, and health."""

from bot.web.app import create_app

__all__ = ["create_app"]
