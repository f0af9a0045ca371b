"""The Flask application factory: opens every service once and registers the blueprints."""

from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.chat.engine import Engine
from bot.config import Config, ConfigError, check_config, check_data_dir
from bot.state import (
    StateStore,
    StoreBroken,
    machine_counters,
    open_rate_limiter,
    open_shared_builds,
    open_store,
)
from bot.state.attempts import open_attempts
from bot.state.base import StoreUnavailable, keep_secret
from bot.state.privacy import USER_KEY, user_hash_key
from bot.state.querylog import QueryLog
from bot.web import admin, admin_page, health, throttle, webhook
from bot.web.services import KEY, Services
from bot.wechat.protocol import Protocol
from handlers.menu import check_menu, load_menu

log = logging.getLogger(__name__)


def create_app(config: Config | None = None, store: StateStore | None = None) -> Flask:
    """The bot as configured (default: from the environment), its state in ``store`` (default:
    the one the configuration names, bot.state.open_store)."""
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
    try:
        store = store or open_store(config.data_dir, config.redis_url, config.state_map_bytes)
    except StoreBroken as exc:
        raise ConfigError(
            f"{exc}: BOT_DATA_DIR must hold a state file this user can write"
        ) from None
    querylog = QueryLog.in_data_dir(config.data_dir, config.query_log_days)
    shared = open_shared_builds(config.redis_url, config.shared_build_bytes)
    engine = Engine(config, store, querylog, shared)
    kb = engine.load()
    check_menu(kb.persona.menu, "persona.toml")  # a reload's is cut to fit, as any reply
    counters = machine_counters(config.data_dir)  # failed admin logins, per address
    app.extensions[KEY] = Services(
        config=config,
        engine=engine,
        store=store,
        wechat=Protocol.configured(
            config.wechat_token,
            config.wechat_aes_key,
            config.wechat_appid,
            config.replay_window,
            config.message_mode,
        ),
        menu=load_menu(config.menu_file) if config.menu_file else None,
        secrets={"user": user_hash_key(store)},
        limiter=open_rate_limiter(config.rate_limit, store),
        admin_failures=open_attempts(throttle.FAILED_ADMIN_AUTH.get_expiry(), store, counters),
    )

    # Before anything answers: catch up with a reload another worker or instance made. A
    # message does it after its begin, which reads the stamp in the same round trip.
    def sync() -> None:
        if request.endpoint != "wechat.receive":
            try:
                engine.sync()
            except StoreUnavailable as exc:  # /healthz says it (503): the page still answers
                log.warning("cannot read the knowledge stamp: %s", exc)

    app.before_request(sync)

    def refuse_long_chunked_bodies() -> None:
        """Werkzeug cuts a chunked body at MAX_CONTENT_LENGTH without a word (a Content-Length
        past it is refused at once): a form posted so would be read cut. The webhook reads
        its own body so; every other route is checked here, the body kept for the form."""
        if request.endpoint == "wechat.receive" or request.content_length is not None:
            return
        if not request.environ.get("wsgi.input_terminated"):
            return
        body = request.get_data(cache=True)
        if len(body) >= config.max_body_bytes and webhook.body_goes_on():
            raise RequestEntityTooLarge()

    app.before_request(refuse_long_chunked_bodies)
    app.register_blueprint(health.bp)
    webhook.init_app(app)
    admin.init_app(app)
    admin_page.init_app(app)

    def keep_secrets() -> None:
        """Redis lost its data: the key users are hashed with and the one sessions are signed
        with go back in, or a machine's started since are taken, so that every machine
        again knows a user, a retry and an admin alike."""
        kept = app.extensions[KEY].secrets
        kept["user"] = keep_secret(store, USER_KEY, kept["user"])
        if not config.secret_key:
            app.secret_key = keep_secret(store, admin_page.SECRET_KEY, str(app.secret_key))

    engine.record_lost.append(keep_secrets)
    return app
