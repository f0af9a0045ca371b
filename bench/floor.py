"""The floor app: the least any WeChat webhook must do, to measure the real one against.

It checks the signature and the timestamp, parses the body with wechatpy and echoes the
text back in a TextReply: no retrieval, no shared store, no logging per message. Whatever
the real app costs above this is the bot's own work; whatever this costs is Flask, wechatpy,
gunicorn and the load generator on the same machine. Served by the same command as the real
app: ``gunicorn --config gunicorn.conf.py bench.floor:app``.

Settings, as for the real app: ``WECHAT_TOKEN`` (the same development default) and
``BOT_REPLAY_WINDOW`` (seconds, 0 disables the timestamp check). Deliberately independent of
``bot`` so that importing it loads neither jieba nor the knowledge base.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

DEV_TOKEN = "forumbot-dev-token"  # bot.config's default, so both apps accept the same requests


def create_app(token: str | None = None, replay_window: int | None = None) -> Flask:
    token = token or os.environ.get("WECHAT_TOKEN") or DEV_TOKEN
    if replay_window is None:
        replay_window = int(os.environ.get("BOT_REPLAY_WINDOW", "300"))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    @app.post("/wechat")
    def receive() -> Response:
        args = request.args
        try:
            check_signature(token, args.get("signature", ""), args["timestamp"], args["nonce"])
        except (InvalidSignatureException, KeyError):
            return Response("403 Forbidden: invalid signature\n", 403, mimetype="text/plain")
        if replay_window:
            try:
                fresh = abs(time.time() - int(args["timestamp"])) <= replay_window
            except ValueError:
                fresh = False
            if not fresh:
                return Response("403 Forbidden: bad timestamp\n", 403, mimetype="text/plain")
        try:
            message = parse_message(request.get_data())
        except Exception:  # wechatpy trusts its input; anything odd is a bad request
            return Response("400 Bad Request: malformed message\n", 400, mimetype="text/plain")
        content = getattr(message, "content", None) or message.type
        xml = TextReply(content=content, message=message).render()
        return Response(xml, mimetype="application/xml")

    return app


app = create_app()
