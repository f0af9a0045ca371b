"""End to end: the real gunicorn on one data folder, stopped, the machine "rebooted" (another
boot id), started again: the per-message state is set aside, the secrets are not."""

from __future__ import annotations

import sqlite3

from bot.state import EmbeddedStore
from bot.state.base import shared_secret
from bot.state.embedded import ENVIRONMENT
from bot.state.privacy import hash_user, user_hash_key
from bot.web.admin_page import SECRET_KEY
from bot.wechat.client import WeChatClient
from tests.conftest import seeded
from tests.gunicorn_support import production_settings, running_server
from tests.wechat_support import AES_KEY, APPID, TOKEN

OPENID = "oRebootUser1a2b3c4d5e6f7g8h9i0"


def secrets(data) -> tuple[str, str]:
    store = EmbeddedStore(data)
    try:
        return user_hash_key(store), shared_secret(store, SECRET_KEY)
    finally:
        store.close()


def test_a_gunicorn_started_after_a_reboot_keeps_its_secrets(tmp_path, monkeypatch):
    boot = tmp_path / "boot_id"
    boot.write_text("boot-one\n")
    monkeypatch.setenv("BOT_BOOT_ID_FILE", str(boot))  # this process reads the same boot
    data = seeded(tmp_path / "data")
    settings = production_settings(BOT_BOOT_ID_FILE=str(boot))
    with running_server(data, **settings) as server:
        wechat = WeChatClient(server.webhook, TOKEN, aes_key=AES_KEY, appid=APPID, mode="safe")
        assert "出处" in wechat.send_text(OPENID, "论坛在哪里举行？").text
    before = secrets(data)
    boot.write_text("boot-two\n")
    with running_server(data, **settings) as server:
        wechat = WeChatClient(server.webhook, TOKEN, aes_key=AES_KEY, appid=APPID, mode="safe")
        assert "出处" in wechat.send_text(OPENID, "论坛在哪里举行？").text
    assert secrets(data) == before
    assert len(list(data.glob(f"{ENVIRONMENT}.aside-*"))) == 1
    with sqlite3.connect(data / "queries.sqlite3") as db:
        users = [user for (user,) in db.execute("SELECT user FROM questions ORDER BY at")]
    db.close()
    assert users[:1] * 2 == users[:2] and users[0] == hash_user(OPENID, before[0])
