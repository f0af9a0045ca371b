"""Starting up: production needs its secrets, the development token warns loudly."""

from __future__ import annotations

import pytest

from bot.config import DEV_TOKEN, Config, ConfigError, check_config
from bot.web import create_app

AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "WECHAT_TOKEN and BOT_ADMIN_TOKEN"),
        ({"WECHAT_TOKEN": "t0ken"}, "BOT_ADMIN_TOKEN"),
        ({"BOT_ADMIN_TOKEN": "adm1n"}, "WECHAT_TOKEN"),
    ],
)
def test_production_refuses_to_start_without_its_tokens(environ, missing, tmp_path):
    config = Config.from_env({"BOT_ENV": "production", "BOT_DATA_DIR": str(tmp_path), **environ})
    with pytest.raises(ConfigError, match=f"needs {missing} to be set"):
        create_app(config)


def test_production_starts_with_both_tokens(caplog):
    config = Config.from_env(
        {"BOT_ENV": "production", "WECHAT_TOKEN": "t0ken", "BOT_ADMIN_TOKEN": "adm1n"}
    )
    check_config(config)
    assert "development token" not in caplog.text


def test_the_development_token_comes_with_a_loud_warning(caplog):
    check_config(Config())
    assert Config().wechat_token == DEV_TOKEN
    (record,) = [r for r in caplog.records if "development token" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "WECHAT_TOKEN" in record.getMessage()


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"wechat_aes_key": "too-short", "wechat_appid": "wx1"}, "43-character"),
        ({"wechat_aes_key": "!" * 43, "wechat_appid": "wx1"}, "43-character"),
        ({"wechat_aes_key": AES_KEY}, "WECHAT_APPID"),
        ({"replay_window": -5}, "BOT_REPLAY_WINDOW"),
    ],
)
def test_unusable_encryption_settings_are_refused(settings, error):
    with pytest.raises(ConfigError, match=error):
        check_config(Config(**settings))


@pytest.mark.parametrize("text", ["0/minute", "20/minute;1/second", "5/minute, 1/second"])
def test_a_rate_limit_that_would_refuse_all_or_hide_a_limit_is_refused(text):
    from bot.state.ratelimit import parse_rate_limit

    with pytest.raises(ValueError, match="BOT_RATE_LIMIT"):
        parse_rate_limit(text)


def test_a_damaged_state_file_stops_the_start_in_one_line(tmp_path):
    from tests.wechat_support import webhook_config

    config = webhook_config(tmp_path / "data")
    config.data_dir.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "state.sqlite3").write_bytes(b"not a database, only bytes " * 100)
    with pytest.raises(ConfigError, match=r"state\.sqlite3 cannot be used"):
        create_app(config)


@pytest.mark.parametrize("forked", [False, True])
def test_a_state_lock_held_elsewhere_makes_healthz_say_so_without_hanging(tmp_path, forked):
    import fcntl
    import os
    import time

    from bot.state.embedded import close_before_fork
    from tests.wechat_support import webhook_config

    app = create_app(webhook_config(tmp_path / "data"))
    assert app.test_client().get("/healthz").status_code == 200
    if forked:  # a worker just forked opens its state only now, under the lock held
        close_before_fork()
    held = os.open(tmp_path / "data" / "state.lock", os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)  # another process stopped while writing
    try:
        started = time.monotonic()
        answer = app.test_client().get("/healthz")
        assert answer.status_code == 503 and "locked" in answer.get_json()["reason"]
        assert time.monotonic() - started < 10  # it waited, but not for ever
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        os.close(held)
    assert app.test_client().get("/healthz").status_code == 200
