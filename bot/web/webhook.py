"""The /wechat endpoint: WeChat's passive-reply protocol, in plaintext, compatible or safe mode.

A request goes: signature and timestamp check → decryption when ``encrypt_type=aes`` →
XML checks (no DOCTYPE/entities, required fields) → wechatpy parses → the message is claimed
once across workers (retries get the first reply) → a handler → reply XML with To/From
swapped, encrypted when the request was. Bad requests get a short plain-text 4xx, never a
stack trace; every message leaves one structured log line with the user's keyed hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, NoReturn
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import Blueprint, Flask, Response, abort, current_app, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from bot.answer import fit_bytes
from bot.app import get_engine, get_store
from bot.conversation import Conversation, Reply
from bot.privacy import hash_user
from bot.ratelimit import TOO_FAST, RateLimiter, open_rate_limiter
from bot.retries import reply_once
from bot.store.base import StateStore, shared_secret
from handlers import Context, dispatch, message_key
from handlers.menu import Menu, load_menu

bp = Blueprint("wechat", __name__)
log = logging.getLogger(__name__)

REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
USER_KEY = "forumbot:user-hash-key"
SORRY = "抱歉，系统暂时出了点问题，请稍后再试。"
DRAIN_CHUNKS = 64  # up to 4 MiB of an oversized chunked body is read and dropped
RETRY_WAIT = 4.0  # a retry waits this long for the first run's reply (WeChat waits 5 s)
RATE_LIMITED = frozenset({"text", "voice", "event:click"})  # the messages that ask a question


@dataclass(frozen=True)
class WebhookSettings:
    """What the endpoint needs besides the engine, prepared once per app."""

    token: str
    crypto: WeChatCrypto | None  # None: encrypted requests are refused
    replay_window: int
    mode: str  # plain | compatible | safe (safe: plaintext messages are refused)
    user_key: str
    menu: Menu
    limiter: RateLimiter | None = None  # None: BOT_RATE_LIMIT is off


def init_app(app: Flask) -> None:
    engine = app.extensions["forumbot"]
    store = app.extensions["forumbot.store"]
    config = engine.config
    crypto = None
    if config.wechat_aes_key:
        crypto = WeChatCrypto(config.wechat_token, config.wechat_aes_key, config.wechat_appid)
    app.extensions["forumbot.webhook"] = WebhookSettings(
        token=config.wechat_token,
        crypto=crypto,
        replay_window=config.replay_window,
        mode=config.message_mode,
        user_key=user_hash_key(store),
        menu=load_menu(config.menu_file),
        limiter=open_rate_limiter(config.rate_limit, config.data_dir, store),
    )
    app.register_blueprint(bp)
    app.register_error_handler(RequestEntityTooLarge, _plain_error)
    # Routing errors (PUT /wechat) happen before the blueprint is chosen: plain text there too.
    app.register_error_handler(MethodNotAllowed, _plain_on_wechat)


def _plain_on_wechat(exc: MethodNotAllowed) -> Response | MethodNotAllowed:
    return _plain_error(exc) if request.path.startswith("/wechat") else exc


def user_hash_key(store: StateStore) -> str:
    """The key OpenIDs are hashed with: random, made once and kept in the shared store, so
    every worker (and, with Redis, every machine) maps a user to the same pseudonym."""
    return shared_secret(store, USER_KEY)


def _settings() -> WebhookSettings:
    return current_app.extensions["forumbot.webhook"]


def _refuse(status: int, reason: str) -> NoReturn:
    abort(status, reason)


@bp.errorhandler(HTTPException)
def _plain_error(exc: HTTPException) -> Response:
    """A short plain-text reason; WeChat only looks at the status, an admin reads the text."""
    reason = "request body too large" if exc.code == 413 else exc.description
    log.warning("wechat request refused", extra={"fields": {"status": exc.code, "reason": reason}})
    return Response(f"{exc.code} {exc.name}: {reason}\n", exc.code, mimetype="text/plain")


# -- authentication ----------------------------------------------------------------------


def _check_timestamp(settings: WebhookSettings, timestamp: str) -> None:
    """Signed requests stay valid for ``replay_window`` seconds either side of now."""
    if not settings.replay_window:
        return
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        _refuse(403, "missing or invalid timestamp")
    if age > settings.replay_window:
        _refuse(403, "timestamp outside the replay window")


def _check_fresh(settings: WebhookSettings, body: bytes) -> None:
    """A signed URL is good for one body. The query's ``signature`` covers only the token,
    timestamp and nonce, so a copied URL could carry any message as any user within the
    replay window; the first body seen with it is remembered (in the shared store: across
    workers and machines) and another body is refused. WeChat's retries repeat the body and
    pass."""
    args = request.args
    # The signature that was checked names the URL: ``signature`` whenever it is there (it
    # is required of plaintext, and WeChat adds it to encrypted requests), else the
    # encrypted request's ``msg_signature``. An unchecked parameter must not change the key,
    # or adding ``&msg_signature=x`` would make a copied URL fresh again.
    which = "signature" if args.get("signature") else "msg_signature"
    signed = "|".join(
        (which, args.get(which, ""), args.get("timestamp", ""), args.get("nonce", ""))
    )
    key = "wechat:signed:" + hashlib.sha256(signed.encode()).hexdigest()[:32]
    digest = hashlib.sha256(body).hexdigest()
    ttl = max(2 * settings.replay_window, 60)
    store = get_store()
    if not store.add(key, digest, ttl=ttl) and store.get(key) not in (None, digest):
        _refuse(403, "this signature was already used with another message")


def _check_signature(settings: WebhookSettings) -> None:
    args = request.args
    try:
        check_signature(settings.token, args.get("signature", ""), args["timestamp"], args["nonce"])
    except (InvalidSignatureException, KeyError):
        _refuse(403, "invalid signature")


def _decrypt(settings: WebhookSettings, body: bytes) -> str:
    """The inner message of an encrypted request, after checking ``msg_signature``."""
    if settings.crypto is None:
        _refuse(400, "encrypted message, but WECHAT_AES_KEY is not configured")
    encrypt = _fields(body).get("Encrypt")
    if not encrypt:
        _refuse(400, "encrypted message without an Encrypt field")
    args = request.args
    try:
        return settings.crypto.decrypt_message(
            {"Encrypt": encrypt},
            args.get("msg_signature", ""),
            args.get("timestamp", ""),
            args.get("nonce", ""),
        )
    except InvalidSignatureException:
        _refuse(403, "invalid msg_signature")
    except InvalidAppIdException:
        _refuse(403, "message encrypted for another AppID")
    except Exception:  # corrupt ciphertext: base64, padding, length or encoding errors
        _refuse(400, "cannot decrypt the message")


# -- parsing -----------------------------------------------------------------------------


def _body() -> bytes:
    """The request body, refused with 413 beyond MAX_CONTENT_LENGTH, chunked or not.

    Werkzeug refuses a too-long Content-Length at once, but silently cuts a chunked body at
    the limit; so when the limit is reached, one more byte decides.
    """
    try:
        body = request.get_data(cache=False)
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        if limit is not None and len(body) >= limit and _more_input():
            raise RequestEntityTooLarge()
        return body
    except HTTPException:
        raise
    except Exception:  # the server could not read it, e.g. broken chunked framing
        _refuse(400, "unreadable request body")


def _more_input() -> bool:
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


def _fields(xml: bytes | str) -> dict[str, str]:
    """The top-level fields of a WeChat XML document, parsed without any DTD processing:
    WeChat never sends a DOCTYPE, so one (entity bombs, external entities) is refused at
    once, before anything is expanded."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        _refuse(400, "XML with a DOCTYPE or entity declaration is refused")
    except (ParseError, ValueError):
        _refuse(400, "malformed XML")
    if root.tag != "xml":
        _refuse(400, "not a WeChat message (root element must be <xml>)")
    return {child.tag: (child.text or "").strip() for child in root}


def _message(xml: bytes | str) -> tuple[Any, dict[str, str]]:
    fields = _fields(xml)
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        _refuse(400, f"missing field: {', '.join(missing)}")
    if not fields["CreateTime"].isdigit():
        _refuse(400, "CreateTime is not a number")
    msg_type = fields["MsgType"].lower()
    if msg_type == "text" and "Content" not in fields:
        _refuse(400, "missing field: Content")
    if msg_type == "event" and not fields.get("Event"):
        _refuse(400, "missing field: Event")
    try:
        if msg_type == "event" or msg_type.startswith("device_"):
            return parse_message(xml), fields  # events may nest elements; wechatpy sorts them
        # Messages are flat: wechatpy's message class reads the fields parsed above, where
        # parse_message would parse the same bytes a second time, with xmltodict.
        data = {name: value or None for name, value in fields.items()}  # as xmltodict has it
        return MESSAGE_TYPES.get(msg_type, UnknownMessage)(data), fields
    except Exception:  # wechatpy trusts its input; any surprise in it is a bad request
        _refuse(400, "malformed message")


def _retry_key(user: str, fields: dict[str, str]) -> str:
    """Retries carry the same MsgId. Events have none: WeChat's advice is sender plus
    CreateTime; the rest of the event is added so two different clicks within one second
    stay two messages (a retry repeats every field)."""
    msg_id = fields.get("MsgId", "")
    if msg_id.isdigit():
        return f"wechat:msg:{user}:{msg_id}"
    event = sorted((k, v) for k, v in fields.items() if k != "FromUserName")  # user: hashed
    digest = hashlib.sha256(json.dumps(event).encode()).hexdigest()[:16]
    return f"wechat:event:{user}:{fields['CreateTime']}:{digest}"


def _too_fast(settings: WebhookSettings, key: str, user: str) -> Reply | None:
    """A polite refusal when ``user`` is over BOT_RATE_LIMIT, else None. Called only by the
    run that claimed the message, so WeChat's retries are not counted again (and get the
    same reply). Only questions count: the other messages cost nothing to answer, and some
    (unsubscribe, which drops the user's state) must never be refused."""
    if settings.limiter is None or key not in RATE_LIMITED:
        return None
    try:
        allowed = settings.limiter.allow(user)
    except Exception:  # a broken counter must not silence the bot: let the message through
        log.exception("rate limit check failed", extra={"fields": {"user": user}})
        return None
    return None if allowed else Reply(TOO_FAST, "limited")


# -- replying ----------------------------------------------------------------------------


def _render(settings: WebhookSettings, message: Any, reply: Reply, encrypted: bool) -> Response:
    if reply.text is None:  # WeChat's "no reply": neither shown to the user nor retried
        return Response("success", mimetype="text/plain")
    # every field goes into CDATA, so none may close it: a user name with ]]> would add
    # elements of its own to the reply
    xml = TextReply(
        content=_cdata(fit_bytes(reply.text)),
        source=_cdata(message.target or ""),
        target=_cdata(message.source or ""),
    ).render()
    if encrypted:
        assert settings.crypto is not None
        xml = settings.crypto.encrypt_message(xml, request.args.get("nonce", ""))
    return Response(xml, mimetype="application/xml")


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


@bp.get("/wechat")
def verify_server() -> Response:
    """WeChat's URL check when the server is configured: echo ``echostr`` if signed by us."""
    settings = _settings()
    _check_signature(settings)
    _check_timestamp(settings, request.args.get("timestamp", ""))
    echostr = request.args.get("echostr")
    if echostr is None:
        _refuse(400, "missing echostr")
    return Response(echostr, mimetype="text/plain")


@bp.post("/wechat")
def receive() -> Response:
    started = time.perf_counter()
    settings = _settings()
    encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
    if not encrypted and settings.mode == "safe":
        _refuse(403, "plaintext messages are refused in safe mode (WECHAT_ENCRYPT_MODE=safe)")
    # Plaintext requests are signed with `signature`; encrypted ones with `msg_signature`
    # (checked on decryption), and WeChat adds `signature` too.
    if not encrypted or "signature" in request.args:
        _check_signature(settings)
    _check_timestamp(settings, request.args.get("timestamp", ""))
    body = _body()
    _check_fresh(settings, body)
    xml = _decrypt(settings, body) if encrypted else body
    message, fields = _message(xml)

    key = message_key(fields["MsgType"], fields.get("Event"))
    user = hash_user(fields["FromUserName"], settings.user_key)
    store = get_store()
    ctx = Context(get_engine(), Conversation(store, user), settings.menu)
    try:
        reply, retry = reply_once(
            store,
            _retry_key(user, fields),
            lambda: _too_fast(settings, key, user) or dispatch(key, message, ctx),
            wait=RETRY_WAIT,
        )
    except Exception:
        log.exception("wechat message failed", extra={"fields": {"type": key, "user": user}})
        reply, retry = Reply(SORRY, "error"), False

    log.info(
        "wechat message",
        extra={
            "fields": {
                "type": key,
                "reply": reply.kind,
                "answered": reply.answered,
                "top_score": None if reply.top_score is None else round(reply.top_score, 3),
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                "user": user,
                "retry": retry,
                "encrypted": encrypted,
            }
        },
    )
    return _render(settings, message, reply, encrypted)
