"""The /wechat endpoint, thin: the protocol in (bot.wechat.protocol), a handler, the protocol out.

A request goes: signature and timestamp check → decryption when ``encrypt_type=aes`` →
XML checks (no DOCTYPE/entities, required fields) → wechatpy parses → the message's begin
(one round trip: the signed URL's body, the claim that makes it run once across workers and
machines, the rate count, the conversation, the knowledge stamp) → a handler → its finish
(one round trip: the reply kept for retries, the conversation) → reply XML with To/From
swapped, encrypted when the request was. Bad requests get a short plain-text 4xx, never a
stack trace; every message leaves one structured log line with the user's keyed hash.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, NoReturn

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    RequestEntityTooLarge,
    default_exceptions,
)

from bot.chat.conversation import CONVERSATION_TTL, Conversation
from bot.chat.engine import STAMP_KEY
from bot.chat.reply import Reply, ReplyKind
from bot.state.base import Begun, Turn
from bot.state.privacy import hash_user
from bot.state.retries import CLAIM_TTL, Reused, answer_once
from bot.web.services import Services, services
from bot.wechat import protocol
from bot.wechat.protocol import Refused
from handlers import Context, dispatch, message_key

bp = Blueprint("wechat", __name__)
log = logging.getLogger(__name__)

DRAIN_CHUNKS = 64  # up to 4 MiB of an oversized chunked body is read and dropped
RETRY_WAIT = 4.0  # a retry waits this long for the first run's reply (WeChat waits 5 s)
RATE_LIMITED = frozenset({"text", "voice", "event:click"})  # the messages that ask a question
UNCHECKED_URL_KEPT = 24 * 3600  # seconds a signed URL is remembered with the timestamp check off


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(RequestEntityTooLarge, _plain_error)
    # Routing errors (PUT /wechat) happen before the blueprint is chosen: plain text there too.
    app.register_error_handler(MethodNotAllowed, _plain_on_wechat)


def _plain_on_wechat(exc: MethodNotAllowed) -> Response | MethodNotAllowed:
    return _plain_error(exc) if request.path.startswith("/wechat") else exc


def _refuse(status: int, reason: str) -> NoReturn:
    abort(status, reason)


@bp.errorhandler(Refused)
def _refused(exc: Refused) -> Response:
    """The protocol refused the request (it knows no Flask): the same plain 4xx as any."""
    return _plain_error(default_exceptions[exc.status](exc.reason))


@bp.errorhandler(HTTPException)
def _plain_error(exc: HTTPException) -> Response:
    """A short plain-text reason; WeChat only looks at the status, an admin reads the text."""
    reason = "request body too large" if exc.code == 413 else exc.description
    log.warning("wechat request refused", extra={"fields": {"status": exc.code, "reason": reason}})
    return Response(f"{exc.code} {exc.name}: {reason}\n", exc.code, mimetype="text/plain")


REUSED = "this signature was already used with another message"


def _signed(settings: Services, body: bytes) -> tuple[str, str, float]:
    """A signed URL is good for one body. The query's ``signature`` covers only the token,
    timestamp and nonce, so a copied URL could carry any message as any user within the
    replay window; the first body seen with it is remembered (in the shared store: across
    workers and machines) and another body is refused. WeChat's retries repeat the body and
    pass. The record is part of the message's begin; this is its key, digest and ttl."""
    # a signed URL is refused with another body for as long as it would be accepted: with the
    # timestamp check off (0) that is any time, so its record is kept for a day
    window = settings.wechat.replay_window
    ttl = max(2 * window, 60) if window else UNCHECKED_URL_KEPT
    return protocol.signed_url_key(request.args), hashlib.sha256(body).hexdigest(), ttl


def _check_fresh(settings: Services, body: bytes) -> None:
    """The signed URL's record on its own, for a body that is no message (it never begins):
    a copied URL is refused as such whatever it carries."""
    key, digest, ttl = _signed(settings, body)
    store = settings.store
    if not store.add(key, digest, ttl=ttl) and store.get(key) not in (None, digest):
        _refuse(403, REUSED)


# -- parsing -----------------------------------------------------------------------------


def _body() -> bytes:
    """The request body, refused with 413 beyond MAX_CONTENT_LENGTH, chunked or not.

    Werkzeug refuses a too-long Content-Length at once, but silently cuts a chunked body at
    the limit; so when the limit is reached, one more byte decides.
    """
    try:
        body = request.get_data(cache=False)
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        if limit is not None and len(body) >= limit and body_goes_on():
            raise RequestEntityTooLarge()
        return body
    except HTTPException:
        raise
    except Exception:  # the server could not read it, e.g. broken chunked framing
        _refuse(400, "unreadable request body")


def body_goes_on() -> bool:
    """Whether a server-terminated (chunked) body goes on past what was read. What is left is
    drained, up to a bound, so the client can read the 413 before the connection closes."""
    if not request.environ.get("wsgi.input_terminated"):
        return False
    stream = request.environ["wsgi.input"]
    if not stream.read(1):
        return False
    for _ in range(DRAIN_CHUNKS):
        if not stream.read(64 * 1024):
            break
    return True


def _turn(settings: Services, key: str, user: str, fields: dict[str, str], body: bytes) -> Turn:
    """The message's shared state, for one begin and one finish. The rate count is taken
    by the begin that claims the message, so WeChat's retries are not counted again (and
    get the same reply). Only questions count: the other messages cost nothing to answer,
    and some (unsubscribe, which drops the user's state) must never be refused."""
    limiter = settings.limiter
    return Turn(
        claim=protocol.retry_key(user, fields),
        claim_ttl=CLAIM_TTL,
        context=Conversation.key_of(user),
        stamp=STAMP_KEY,
        signed=_signed(settings, body),
        rate=(limiter.key(user), limiter.window)
        if limiter is not None and key in RATE_LIMITED
        else None,
    )


def _too_fast(settings: Services, begun: Begun) -> Reply | None:
    """A polite refusal when the begin's count is over BOT_RATE_LIMIT, else None."""
    limiter = settings.limiter
    if limiter is None or begun.count is None or limiter.allowed(begun.count):
        return None
    return Reply(settings.persona.replies.too_fast, ReplyKind.LIMITED)


@bp.get("/wechat")
def verify_server() -> Response:
    """WeChat's URL check when the server is configured: echo ``echostr`` if signed by us."""
    wechat = services().wechat
    wechat.check_signature(request.args)
    wechat.check_timestamp(request.args.get("timestamp", ""))
    echostr = request.args.get("echostr")
    if echostr is None:
        _refuse(400, "missing echostr")
    return Response(echostr, mimetype="text/plain")


@bp.post("/wechat")
def receive() -> Response:
    started = time.perf_counter()
    settings = services()
    wechat = settings.wechat
    encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
    if not encrypted and wechat.mode == "safe":
        _refuse(403, "plaintext messages are refused in safe mode (WECHAT_ENCRYPT_MODE=safe)")
    # Plaintext requests are signed with `signature`; encrypted ones with `msg_signature`
    # (checked on decryption), and WeChat adds `signature` too.
    if not encrypted or "signature" in request.args:
        wechat.check_signature(request.args)
    wechat.check_timestamp(request.args.get("timestamp", ""))
    body = _body()
    try:
        xml = wechat.decrypt(body, request.args) if encrypted else body
        message, fields = protocol.parse(xml)
    except (HTTPException, Refused):
        _check_fresh(settings, body)
        raise

    key = message_key(fields["MsgType"], fields.get("Event"))
    user = hash_user(fields["FromUserName"], settings.user_key)
    store = settings.store
    engine = settings.engine

    made: list[Reply] = []  # the reply this run composed, so it is not read back from JSON

    def compute(begun: Begun) -> tuple[dict[str, Any], Any]:
        engine.sync(begun.stamp)  # a reload elsewhere is served before this answer
        conversation = Conversation(store, user, read=begun.context)
        menu = settings.menu or settings.persona.menu
        ctx = Context(engine, conversation, menu)
        reply = _too_fast(settings, begun) or dispatch(key, message, ctx)
        made.append(reply)
        return reply.to_json(), conversation.pending

    persona = settings.persona
    try:
        data, retry = answer_once(
            store,
            _turn(settings, key, user, fields, body),
            compute,
            context_ttl=CONVERSATION_TTL,
            wait=RETRY_WAIT,
        )
        if data is None:
            reply = Reply(persona.replies.busy, ReplyKind.BUSY)
        else:
            reply = made[-1] if made and not retry else Reply.from_json(data)
    except Reused:
        _refuse(403, REUSED)
    except Exception:
        log.exception("wechat message failed", extra={"fields": {"type": key, "user": user}})
        reply, retry = Reply(persona.replies.sorry, ReplyKind.ERROR), False

    log.info(
        "wechat message",
        extra={
            "fields": {
                "type": key,
                "reply": reply.kind.value,
                "answered": reply.answered,
                "top_score": None if reply.top_score is None else round(reply.top_score, 3),
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                "user": user,
                "retry": retry,
                "encrypted": encrypted,
            }
        },
    )
    return _render(wechat, message, reply, encrypted)


def _render(wechat: protocol.Protocol, message: Any, reply: Reply, encrypted: bool) -> Response:
    if reply.text is None:  # WeChat's "no reply": neither shown to the user nor retried
        return Response("success", mimetype="text/plain")
    nonce = request.args.get("nonce", "") if encrypted else None
    xml = wechat.render(message, reply.text, encrypt_with_nonce=nonce)
    return Response(xml, mimetype="application/xml")
