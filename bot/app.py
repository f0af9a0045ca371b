"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from bot.config import Config
from bot.engine import Engine


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    engine = Engine(config)
    engine.load()
    app.extensions["forumbot"] = engine

    from bot.health import bp as health_bp
    from bot.webhook import bp as webhook_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(webhook_bp)
    return app


def get_engine() -> Engine:
    from flask import current_app

    return current_app.extensions["forumbot"]
