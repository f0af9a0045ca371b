"""Plays WeChat against a running server, for testing a deployment end to end.

It does what WeChat's servers do: renders the incoming XML from wechatpy's own message
classes, signs the query with the token, encrypts with the EncodingAESKey in safe (安全) or
compatible (兼容) mode, and opens the reply the way WeChat would (checking its signature,
decrypting, parsing it with wechatpy). ``python -m bot chat --url URL`` wraps it in a prompt.
"""

from __future__ import annotations

import itertools
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import EVENT_TYPES
from wechatpy.fields import StringField
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.replies import BaseReply, EmptyReply, deserialize_reply
from wechatpy.utils import WeChatSigner

ACCOUNT = "gh_forumbot00000"  # the public account's original id (ToUserName)
# How WeChat spells the Event field; wechatpy's class names are lower case.
_EVENT_SPELLING = {"scan": "SCAN", "location": "LOCATION", "click": "CLICK", "view": "VIEW"}
MODES = ("plain", "compatible", "safe")


def _cdata_safe(value: Any) -> Any:
    """CDATA cannot contain "]]>"; split it across two sections as XML writers do."""
    return value.replace("]]>", "]]]]><![CDATA[>") if isinstance(value, str) else value


def render_message(
    msg_type: str,
    *,
    source: str,
    target: str = ACCOUNT,
    create_time: int | None = None,
    msg_id: int | None = None,
    event: str | None = None,
    extra: dict[str, str] | None = None,
    **values: Any,
) -> str:
    """The XML WeChat sends for one message, rendered by the fields of its wechatpy class.

    ``values`` use wechatpy's attribute names (``content``, ``recognition``, ``key``,
    ``media_id``, …); ``extra`` adds raw fields wechatpy has no class for (a ``file``
    message's ``Title``, …). ``wechatpy.parse_message`` turns the result back into the
    same class.
    """
    if msg_type == "event":
        cls = EVENT_TYPES.get((event or "").lower(), UnknownMessage)
    else:
        cls = MESSAGE_TYPES.get(msg_type, UnknownMessage)
    fields = cls._fields
    nodes = [
        fields["target"].to_xml(target),
        fields["source"].to_xml(source),
        fields["time"].to_xml(int(time.time()) if create_time is None else create_time),
        StringField("MsgType").to_xml(msg_type),
    ]
    if event is not None:
        nodes.append(StringField("Event").to_xml(_EVENT_SPELLING.get(event.lower(), event)))
    for name, value in values.items():
        if name not in fields:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
        nodes.append(fields[name].to_xml(_cdata_safe(value)))
    for name, value in (extra or {}).items():
        nodes.append(StringField(name).to_xml(_cdata_safe(value)))
    if msg_id is not None:
        nodes.append(fields["id"].to_xml(msg_id))
    return "<xml>" + "".join(nodes) + "</xml>"


def sign(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """WeChat's signature: sha1 of the sorted token, timestamp, nonce (and ciphertext)."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *extra)
    return signer.signature


@dataclass(frozen=True)
class Exchange:
    """One HTTP round trip: what the server said, and the reply WeChat would show."""

    status: int
    body: bytes
    reply: BaseReply | None  # None when the status is not 200

    @property
    def text(self) -> str | None:
        """The text shown to the user; None for no reply."""
        return getattr(self.reply, "content", None)


class WeChatClient:
    """Signs, encrypts and sends messages as WeChat does, to one server URL (or to a Flask
    test client, through ``prepare`` and ``open_reply``)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        aes_key: str = "",
        appid: str = "",
        mode: str | None = None,
        account: str = ACCOUNT,
        timeout: float = 15.0,
    ) -> None:
        self.url = url
        self.token = token
        self.mode = mode or ("safe" if aes_key else "plain")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.mode != "plain" and not (aes_key and appid):
            raise ValueError("encrypted modes need the EncodingAESKey and the AppID")
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.account = account
        self.timeout = timeout
        self._msg_ids = itertools.count(time.time_ns() // 1000)

    def next_msg_id(self) -> int:
        return next(self._msg_ids)

    def prepare(
        self, xml: str, *, openid: str, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """The query string and body WeChat would POST for this message XML."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        query = {
            "signature": sign(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        if self.mode == "plain":
            return query, xml.encode("utf-8")
        assert self.crypto is not None
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        encrypt = f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt>"
        query |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
        if self.mode == "compatible":  # the plaintext fields stay, Encrypt is added
            body = xml.replace("</xml>", encrypt + "</xml>")
        else:
            body = f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>{encrypt}</xml>"
        return query, body.encode("utf-8")

    def open_reply(self, body: bytes) -> BaseReply:
        """The reply as WeChat reads it: "success" or empty is no reply; an encrypted reply
        must carry a valid signature and decrypt; then wechatpy parses it."""
        text = body.decode("utf-8").strip()
        if text in {"", "success"}:
            return EmptyReply()
        if self.mode != "plain":
            assert self.crypto is not None
            envelope = xmltodict.parse(text)["xml"]
            text = self.crypto.decrypt_message(
                envelope, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        return deserialize_reply(text)

    def post(self, xml: str, *, openid: str) -> Exchange:
        query, body = self.prepare(xml, openid=openid)
        url = f"{self.url}{'&' if '?' in self.url else '?'}{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "text/xml; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read()
                return Exchange(response.status, data, self.open_reply(data))
        except urllib.error.HTTPError as exc:
            with exc:  # the error holds the response, and its connection, until closed
                return Exchange(exc.code, exc.read(), None)

    def send_text(self, openid: str, content: str, *, msg_id: int | None = None) -> Exchange:
        xml = render_message(
            "text",
            source=openid,
            target=self.account,
            msg_id=self.next_msg_id() if msg_id is None else msg_id,
            content=content,
        )
        return self.post(xml, openid=openid)
