"""The Flask application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.config import Config, check_config, check_data_dir
from bot.engine import Engine
from bot.querylog import QueryLog
from bot.store import StateStore, open_store


def create_app(config: Config | None = None, store: StateStore | None = None) -> Flask:
    """The bot as configured (default: from the environment), its state in ``store`` (default:
    the one the configuration names, bot.store.open_store)."""
    config = config or Config.from_env()
    check_config(config)
    check_data_dir(config)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    if config.trusted_proxies:
        # Behind nginx every request comes from nginx: take the client's address (the admin
        # login throttle counts per address) and scheme (HTTPS) from the headers the trusted
        # proxies set, and only from those, so a client cannot forge them.
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    store = store or open_store(config.data_dir, config.redis_url)
    querylog = QueryLog.in_data_dir(config.data_dir, config.query_log_days)
    engine = Engine(config, store, querylog)
    engine.load()
    app.extensions["forumbot"] = engine
    app.extensions["forumbot.store"] = store

    from bot import admin, admin_page, webhook
    from bot.health import bp as health_bp

    # Before anything answers: catch up with a reload another worker or instance made.
    app.before_request(engine.sync)
    app.register_blueprint(health_bp)
    webhook.init_app(app)
    admin.init_app(app)
    admin_page.init_app(app)
    return app


def get_engine() -> Engine:
    from flask import current_app

    return current_app.extensions["forumbot"]


def get_store() -> StateStore:
    """The state shared by every worker (per-user conversations, retry claims)."""
    from flask import current_app

    return current_app.extensions["forumbot.store"]
