"""The /wechat endpoint: verify, parse, dispatch to a handler, reply (first cut: plaintext text)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from wechatpy import parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.app import get_engine

bp = Blueprint("wechat", __name__)


def _verify() -> None:
    engine = get_engine()
    try:
        check_signature(
            engine.config.wechat_token,
            request.args.get("signature", ""),
            request.args.get("timestamp", ""),
            request.args.get("nonce", ""),
        )
    except InvalidSignatureException:
        abort(403)


@bp.get("/wechat")
def verify_server():
    _verify()
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat")
def receive():
    _verify()
    message = parse_message(request.get_data())
    if message.type != "text":
        return Response("success", mimetype="text/plain")
    answer = get_engine().ask(message.content)
    reply = TextReply(content=answer.text, message=message)
    return Response(reply.render(), mimetype="application/xml")
