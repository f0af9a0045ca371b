"""WeChat's passive-reply protocol, with no web framework in it: signatures, the replay
window, decryption, the XML checks, parsing, and the reply XML.

Each check raises Refused with the HTTP status and a short reason; the webhook
(bot.web.webhook) turns that into its response, so this module can be used, and tested, by
anything that speaks the protocol.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from xml.etree.ElementTree import ParseError
from xml.etree.ElementTree import fromstring as _expat_fromstring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.utils import check_signature as _wechatpy_check_signature

from bot.wechat.limits import fit_bytes

REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
# wechatpy's TextReply(...).render(), to the byte, written out: its field descriptors and
# per-field templates cost 13-18 µs a reply, the template 4 (tests/test_wechat_protocol.py
# holds the two to the same output)
_TEXT_REPLY = (
    "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{content}]]></Content>\n"
    "<FromUserName><![CDATA[{source}]]></FromUserName>\n"
    "<ToUserName><![CDATA[{target}]]></ToUserName>\n<CreateTime>{time}</CreateTime>\n</xml>"
)


class Refused(Exception):
    """A request the protocol refuses: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def refuse(status: int, reason: str) -> NoReturn:
    raise Refused(status, reason)


@dataclass(frozen=True)
class Protocol:
    """How this account speaks WeChat: its token, its key (None: encrypted requests are
    refused), the replay window and the message mode, prepared once per app."""

    token: str
    crypto: WeChatCrypto | None
    replay_window: int  # seconds a signed timestamp stays valid; 0: not checked
    mode: str  # plain | compatible | safe (safe: plaintext messages are refused)

    @classmethod
    def configured(
        cls, token: str, aes_key: str, appid: str, replay_window: int, mode: str
    ) -> Protocol:
        crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        return cls(token, crypto, replay_window, mode)

    # -- authentication ------------------------------------------------------------------

    def check_signature(self, args: Mapping[str, str]) -> None:
        try:
            _wechatpy_check_signature(
                self.token, args.get("signature", ""), args["timestamp"], args["nonce"]
            )
        except (InvalidSignatureException, KeyError):
            refuse(403, "invalid signature")

    def check_timestamp(self, timestamp: str) -> None:
        """Signed requests stay valid for ``replay_window`` seconds either side of now."""
        if not self.replay_window:
            return
        try:
            age = abs(time.time() - int(timestamp))
        except ValueError:
            refuse(403, "missing or invalid timestamp")
        if age > self.replay_window:
            refuse(403, "timestamp outside the replay window")

    def decrypt(self, body: bytes, args: Mapping[str, str]) -> str:
        """The inner message of an encrypted request, after checking ``msg_signature``."""
        if self.crypto is None:
            refuse(400, "encrypted message, but WECHAT_AES_KEY is not configured")
        encrypt = fields_of(body).get("Encrypt")
        if not encrypt:
            refuse(400, "encrypted message without an Encrypt field")
        try:
            return self.crypto.decrypt_message(
                {"Encrypt": encrypt},
                args.get("msg_signature", ""),
                args.get("timestamp", ""),
                args.get("nonce", ""),
            )
        except InvalidSignatureException:
            refuse(403, "invalid msg_signature")
        except InvalidAppIdException:
            refuse(403, "message encrypted for another AppID")
        except Exception:  # corrupt ciphertext: base64, padding, length or encoding errors
            refuse(400, "cannot decrypt the message")

    # -- replying ------------------------------------------------------------------------

    def render(self, message: Any, text: str, *, encrypt_with_nonce: str | None = None) -> str:
        """The passive reply XML, To and From swapped, the text cut to WeChat's byte limit;
        encrypted with the request's nonce when the request was encrypted."""
        # every field goes into CDATA, so none may close it: a user name with ]]> would add
        # elements of its own to the reply
        xml = _TEXT_REPLY.format(
            content=_cdata(fit_bytes(text)),
            source=_cdata(message.target or ""),
            target=_cdata(message.source or ""),
            time=int(time.time()),
        )
        if encrypt_with_nonce is not None:
            assert self.crypto is not None
            xml = self.crypto.encrypt_message(xml, encrypt_with_nonce)
        return xml


def signed_url_key(args: Mapping[str, str]) -> str:
    """The name of a signed URL, for remembering the one body it may carry.

    The signature that was checked names the URL: ``signature`` whenever it is there (it is
    required of plaintext, and WeChat adds it to encrypted requests), else the encrypted
    request's ``msg_signature``. An unchecked parameter must not change the key, or adding
    ``&msg_signature=x`` would make a copied URL fresh again.
    """
    which = "signature" if args.get("signature") else "msg_signature"
    signed = "|".join(
        (which, args.get(which, ""), args.get("timestamp", ""), args.get("nonce", ""))
    )
    return "wechat:signed:" + hashlib.sha256(signed.encode()).hexdigest()[:32]


# -- parsing -------------------------------------------------------------------------------


def _plain_markup(xml: bytes | str) -> bool:
    """Whether the document can hold no DTD at all, so the C parser may read it without
    defusedxml's Python-level guards (a third of the cost of a message's parse): no markup
    declaration (``<!`` other than CDATA, which WeChat wraps every field in), no XML
    declaration (which could switch the bytes after it to an encoding where ``<!DOCTYPE``
    is other bytes) and no NUL (UTF-16 and UTF-32 spell ``<!`` with NULs between). WeChat
    sends neither declaration; anything else takes the guarded parser."""
    if isinstance(xml, str):
        return "<?" not in xml and xml.count("<!") == xml.count("<![CDATA[")
    return b"\x00" not in xml and b"<?" not in xml and xml.count(b"<!") == xml.count(b"<![CDATA[")


def fields_of(xml: bytes | str) -> dict[str, str]:
    """The top-level fields of a WeChat XML document, parsed without any DTD processing:
    WeChat never sends a DOCTYPE, so one (entity bombs, external entities) is refused at
    once, before anything is expanded."""
    try:
        if _plain_markup(xml):
            root = _expat_fromstring(xml)
        else:
            root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        refuse(400, "XML with a DOCTYPE or entity declaration is refused")
    except (ParseError, ValueError):
        refuse(400, "malformed XML")
    if root.tag != "xml":
        refuse(400, "not a WeChat message (root element must be <xml>)")
    return {child.tag: (child.text or "").strip() for child in root}


def parse(xml: bytes | str) -> tuple[Any, dict[str, str]]:
    """The wechatpy message and its top-level fields, after the checks a message needs."""
    fields = fields_of(xml)
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        refuse(400, f"missing field: {', '.join(missing)}")
    if not fields["CreateTime"].isdigit():
        refuse(400, "CreateTime is not a number")
    msg_type = fields["MsgType"].lower()
    if msg_type == "text" and "Content" not in fields:
        refuse(400, "missing field: Content")
    if msg_type == "event" and not fields.get("Event"):
        refuse(400, "missing field: Event")
    try:
        if msg_type == "event" or msg_type.startswith("device_"):
            return parse_message(xml), fields  # events may nest elements; wechatpy sorts them
        # Messages are flat: wechatpy's message class reads the fields parsed above, where
        # parse_message would parse the same bytes a second time, with xmltodict.
        data = {name: value or None for name, value in fields.items()}  # as xmltodict has it
        return MESSAGE_TYPES.get(msg_type, UnknownMessage)(data), fields
    except Exception:  # wechatpy trusts its input; any surprise in it is a bad request
        refuse(400, "malformed message")


def retry_key(user: str, fields: dict[str, str]) -> str:
    """Retries carry the same MsgId. Events have none: WeChat's advice is sender plus
    CreateTime; the rest of the event is added so two different clicks within one second
    stay two messages (a retry repeats every field)."""
    msg_id = fields.get("MsgId", "")
    if msg_id.isdigit():
        return f"wechat:msg:{user}:{msg_id}"
    event = sorted((k, v) for k, v in fields.items() if k != "FromUserName")  # user: hashed
    digest = hashlib.sha256(json.dumps(event).encode()).hexdigest()[:16]
    return f"wechat:event:{user}:{fields['CreateTime']}:{digest}"


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")
