"""Settings from the environment, read once when the app or CLI starts."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.state.ratelimit import parse_rate_limit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_TOKEN = "forumbot-dev-token"

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A setting the app cannot start with; the message says which and what to do."""


@dataclass(frozen=True)
class Config:
    env: str = "development"
    wechat_token: str = DEV_TOKEN
    wechat_appid: str = ""
    wechat_aes_key: str = ""
    admin_token: str = ""
    knowledge_dir: Path = PROJECT_ROOT / "knowledge" / "sources"
    data_dir: Path = PROJECT_ROOT / "data"
    redis_url: str = ""
    replay_window: int = 300  # seconds a signed timestamp stays valid; 0 disables the check
    max_body_bytes: int = 1024 * 1024
    menu_file: Path | None = None  # None: the persona's welcome and menu (BOT_KNOWLEDGE_DIR)
    query_log_days: float = 90  # questions are kept this long; 0 keeps none
    rate_limit: str = "20/minute"  # messages per user (limits notation); "0" or "" disables
    secret_key: str = ""  # signs the admin page's session; empty: one made and kept in the store
    secure_cookies: bool = False  # admin session cookie only over HTTPS (always in production)
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For/-Proto count
    max_document_mb: float = 32  # a larger document refuses the reload at once
    reload_wait: float = 10  # seconds a reload request waits for its build (then: building)
    shared_build_mb: float = 128  # with Redis: a larger packed build is not shared
    state_map_mb: float = 1024  # the most the machine's per-message state (LMDB) can hold
    # plain | compatible | safe, as the public account's console calls them; "" = compatible
    # when WECHAT_AES_KEY is set, else plain
    encrypt_mode: str = ""

    @property
    def message_mode(self) -> str:
        return self.encrypt_mode or ("compatible" if self.wechat_aes_key else "plain")

    @property
    def max_document_bytes(self) -> int:
        return int(self.max_document_mb * 1024 * 1024)

    @property
    def shared_build_bytes(self) -> int:
        return int(self.shared_build_mb * 1024 * 1024)

    @property
    def state_map_bytes(self) -> int:
        return int(self.state_map_mb * 1024 * 1024)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        return cls(
            env=env.get("BOT_ENV", "development"),
            wechat_token=env.get("WECHAT_TOKEN") or DEV_TOKEN,
            wechat_appid=env.get("WECHAT_APPID", ""),
            wechat_aes_key=env.get("WECHAT_AES_KEY", ""),
            admin_token=env.get("BOT_ADMIN_TOKEN", ""),
            knowledge_dir=Path(
                env.get("BOT_KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge" / "sources"
            ),
            data_dir=Path(env.get("BOT_DATA_DIR") or PROJECT_ROOT / "data"),
            redis_url=env.get("BOT_REDIS_URL", ""),
            replay_window=int(env.get("BOT_REPLAY_WINDOW", "300")),
            menu_file=Path(env["BOT_MENU_FILE"]) if env.get("BOT_MENU_FILE") else None,
            query_log_days=float(env.get("BOT_QUERY_LOG_DAYS", "90")),
            rate_limit=env.get("BOT_RATE_LIMIT", "20/minute"),
            secret_key=env.get("BOT_SECRET_KEY", ""),
            secure_cookies=env.get("BOT_SECURE_COOKIES", "") == "1",
            trusted_proxies=_count(env, "BOT_TRUSTED_PROXIES"),
            max_document_mb=_number(env, "BOT_MAX_DOCUMENT_MB", 32),
            reload_wait=_number(env, "BOT_RELOAD_WAIT", 10),
            shared_build_mb=_number(env, "BOT_SHARED_BUILD_MB", 128),
            state_map_mb=_number(env, "BOT_STATE_MAP_MB", 1024),
            encrypt_mode=env.get("WECHAT_ENCRYPT_MODE", "").strip().lower(),
        )


def _count(env: Mapping[str, str], name: str) -> int:
    """A whole-number setting, refused with its name when it is not one."""
    value = env.get(name, "").strip() or "0"
    if not value.isdigit():
        raise ConfigError(f"{name} must be a whole number (0, 1, 2, …): {value!r}")
    return int(value)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive number setting, refused with its name when it is not one."""
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1
    if not number > 0:
        raise ConfigError(f"{name} must be a positive number: {value!r}")
    return number


MESSAGE_MODES = ("plain", "compatible", "safe")


def check_data_dir(config: Config) -> None:
    """BOT_DATA_DIR must be writable: the state, the query log and the build cache live
    there. Refused in one line that names it, not a traceback from the first write."""
    path = config.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"BOT_DATA_DIR {str(path)!r} is not writable ({exc.strerror or exc}): "
            "point it at a folder this user can write"
        ) from None


def check_config(config: Config) -> None:
    """Refuse settings that would make the bot unsafe or unable to answer; warn, loudly, when
    the development token is in use."""
    if config.env == "production":
        missing = [
            name
            for name, value in (
                ("WECHAT_TOKEN", config.wechat_token != DEV_TOKEN),
                ("BOT_ADMIN_TOKEN", bool(config.admin_token)),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"BOT_ENV=production needs {' and '.join(missing)} to be set")
    if config.wechat_aes_key:
        try:
            key = base64.b64decode(config.wechat_aes_key + "=", validate=True)
        except binascii.Error:
            key = b""
        if len(config.wechat_aes_key) != 43 or len(key) != 32:
            raise ConfigError("WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        if not config.wechat_appid:
            raise ConfigError("WECHAT_AES_KEY is set but WECHAT_APPID is not")
    if config.encrypt_mode and config.encrypt_mode not in MESSAGE_MODES:
        raise ConfigError(
            f"WECHAT_ENCRYPT_MODE must be one of {', '.join(MESSAGE_MODES)}: "
            f"{config.encrypt_mode!r}"
        )
    if config.message_mode != "plain" and not config.wechat_aes_key:
        raise ConfigError(f"WECHAT_ENCRYPT_MODE={config.message_mode} needs WECHAT_AES_KEY")
    if config.query_log_days < 0:
        raise ConfigError("BOT_QUERY_LOG_DAYS must be 0 (keep no questions) or a number of days")
    if config.replay_window < 0:
        raise ConfigError("BOT_REPLAY_WINDOW must be 0 (off) or a number of seconds")
    try:
        parse_rate_limit(config.rate_limit)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if config.wechat_token == DEV_TOKEN:
        log.warning(
            "*** WECHAT_TOKEN is not set: using the public development token %r. Anyone can "
            "sign requests to /wechat. Set WECHAT_TOKEN (and BOT_ENV=production) before "
            "pointing a real public account at this server. ***",
            DEV_TOKEN,
        )
