"""Test support for the webhook: an app configured like a real account, and WeChat's side of
the conversation (bot.wechat.client) wired to Flask's test client instead of HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from wechatpy.replies import BaseReply
from werkzeug.test import TestResponse

from bot.config import Config
from bot.wechat.client import WeChatClient, render_message
from tests.conftest import seeded

TOKEN = "webhook-test-token"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"  # any 43 base64 characters
APPID = "wx8f3b2c1d0e9a7654"
OPENID = "oZx1Y2w3V4u5T6s7R8q9P0onmlkj"  # shaped like a real OpenID
# Tencent's published sample message, as shipped under tests/data.
OFFICIAL_VECTOR = Path(__file__).parent / "data" / "wechat-official-vector.json"


def webhook_config(data_dir: Path, **overrides: Any) -> Config:
    """An app's settings for tests. The rate limit is off: a module's tests share one OpenID
    and an app, and on a fast machine they send more than 20 messages a minute, so a test
    would see a polite refusal it did not ask for. The rate-limit tests set their own."""
    settings: dict[str, Any] = {
        "data_dir": seeded(data_dir),
        "rate_limit": "0",
        "wechat_token": TOKEN,
        "wechat_aes_key": AES_KEY,
        "wechat_appid": APPID,
        "admin_token": "test-admin-token",
    }
    settings.update(overrides)
    return Config(**settings)


def official_vector() -> dict[str, Any]:
    return json.loads(OFFICIAL_VECTOR.read_text(encoding="utf-8"))


@dataclass
class Sent:
    response: TestResponse
    reply: BaseReply | None  # as WeChat reads it; None unless the status is 200

    @property
    def text(self) -> str | None:
        return getattr(self.reply, "content", None)


class WeChat:
    """WeChat's servers, talking to one app through its test client in one mode."""

    def __init__(self, app: Flask, mode: str = "plain") -> None:
        self.client: FlaskClient = app.test_client()
        self.wechat = WeChatClient("/wechat", TOKEN, aes_key=AES_KEY, appid=APPID, mode=mode)

    def post(
        self, xml: str, *, openid: str = OPENID, timestamp: str | None = None, **query: str
    ) -> Sent:
        """Sign (and encrypt) ``xml`` as WeChat would and POST it; ``query`` overrides."""
        params, body = self.wechat.prepare(xml, openid=openid, timestamp=timestamp)
        params.update(query)
        response = self.client.post(
            "/wechat", query_string=params, data=body, content_type="text/xml"
        )
        reply = self.wechat.open_reply(response.data) if response.status_code == 200 else None
        return Sent(response, reply)

    def message(self, msg_type: str, *, openid: str = OPENID, **fields: Any) -> Sent:
        if msg_type != "event":
            fields.setdefault("msg_id", self.wechat.next_msg_id())
        return self.post(render_message(msg_type, source=openid, **fields), openid=openid)

    def text(self, content: str, *, openid: str = OPENID, msg_id: int | None = None) -> Sent:
        if msg_id is None:
            return self.message("text", openid=openid, content=content)
        return self.message("text", openid=openid, content=content, msg_id=msg_id)


def message_logs(caplog) -> list[dict[str, Any]]:
    """The structured fields of every "wechat message" log line captured so far."""
    return [
        r.fields
        for r in caplog.records
        if r.name == "bot.web.webhook" and r.getMessage() == "wechat message"
    ]


def all_logged_text(caplog) -> str:
    """Everything the app logged, message and fields, to search for what must not be there."""
    return "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
