"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from bot.config import Config, check_config
from bot.engine import Engine
from bot.store import StateStore, open_store


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    check_config(config)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    engine = Engine(config)
    engine.load()
    app.extensions["forumbot"] = engine
    app.extensions["forumbot.store"] = open_store(config.data_dir, config.redis_url)

    from bot import webhook
    from bot.health import bp as health_bp

    app.register_blueprint(health_bp)
    webhook.init_app(app)
    return app


def get_engine() -> Engine:
    from flask import current_app

    return current_app.extensions["forumbot"]


def get_store() -> StateStore:
    """The state shared by every worker (per-user conversations, retry claims)."""
    from flask import current_app

    return current_app.extensions["forumbot.store"]
