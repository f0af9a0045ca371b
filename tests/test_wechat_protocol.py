"""WeChat's protocol without a web framework (bot.wechat.protocol): what the webhook turns
into its 4xx answers is decided here, so it can be checked without a request."""

from __future__ import annotations

import time

import pytest
from wechatpy.replies import TextReply

from bot.wechat.client import render_message, sign
from bot.wechat.limits import fit_bytes
from bot.wechat.protocol import Protocol, Refused, _cdata, parse, retry_key, signed_url_key
from tests.wechat_support import TOKEN

PLAIN = Protocol(TOKEN, None, replay_window=300, mode="plain")


def refusal(call, *args) -> tuple[int, str]:
    with pytest.raises(Refused) as refused:
        call(*args)
    return refused.value.status, refused.value.reason


def test_a_signed_query_passes_and_a_forged_one_is_403():
    now = str(int(time.time()))
    PLAIN.check_signature({"signature": sign(TOKEN, now, "n1"), "timestamp": now, "nonce": "n1"})
    forged = {"signature": sign("another-token", now, "n1"), "timestamp": now, "nonce": "n1"}
    assert refusal(PLAIN.check_signature, forged) == (403, "invalid signature")


def test_a_timestamp_outside_the_replay_window_is_403():
    assert refusal(PLAIN.check_timestamp, str(int(time.time()) - 301))[0] == 403
    assert refusal(PLAIN.check_timestamp, "yesterday") == (403, "missing or invalid timestamp")
    Protocol(TOKEN, None, replay_window=0, mode="plain").check_timestamp("0")  # off


def test_parsing_refuses_what_wechat_never_sends():
    assert refusal(parse, '<!DOCTYPE x [<!ENTITY a "b">]><xml/>')[0] == 400
    assert refusal(parse, "<notxml/>") == (400, "not a WeChat message (root element must be <xml>)")
    assert refusal(parse, "<xml><MsgType>text</MsgType></xml>")[1].startswith("missing field")
    message, fields = parse(render_message("text", source="o1", msg_id=7, content="你好"))
    assert message.content == "你好" and fields["MsgId"] == "7"


BOMB = '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml>&b;</xml>'
REFUSED_UNREAD = {  # never read as a message, its entities never expanded
    (400, "XML with a DOCTYPE or entity declaration is refused"),
    (400, "malformed XML"),  # an encoding the parser does not read at all
}


@pytest.mark.parametrize(
    "document",
    [
        BOMB.encode("utf-8"),
        BOMB.encode("utf-16"),  # no "<!" byte pair: NULs between
        BOMB.encode("utf-32"),
        # an ASCII declaration switching the rest to EBCDIC, where "<!" is other bytes
        b'<?xml version="1.0" encoding="cp037"?>' + BOMB.encode("cp037"),
    ],
    ids=["utf-8", "utf-16", "utf-32", "declared-ebcdic"],
)
def test_a_dtd_is_refused_in_any_encoding_the_parser_reads(document):
    """The C parser reads only documents that cannot hold a DTD; every other spelling of
    one reaches defusedxml and is refused."""
    assert refusal(parse, document) in REFUSED_UNREAD


def test_a_message_quoting_markup_in_its_text_is_read_as_text():
    text = "<!DOCTYPE 是什么？<?xml?>"
    message, _ = parse(render_message("text", source="o1", msg_id=8, content=text))
    assert message.content == text


def test_encrypted_messages_need_the_key():
    assert refusal(PLAIN.decrypt, b"<xml><Encrypt>x</Encrypt></xml>", {})[0] == 400


def test_an_unchecked_msg_signature_does_not_rename_a_signed_url():
    signed = {"signature": "s", "timestamp": "1", "nonce": "n"}
    assert signed_url_key(signed) == signed_url_key({**signed, "msg_signature": "x"})
    assert signed_url_key(signed) != signed_url_key({**signed, "nonce": "m"})


def test_retries_of_a_message_share_a_key_and_two_clicks_do_not():
    click = {"CreateTime": "1", "MsgType": "event", "Event": "CLICK", "EventKey": "A"}
    assert retry_key("u", click) == retry_key("u", dict(click))
    assert retry_key("u", click) != retry_key("u", {**click, "EventKey": "B"})
    assert retry_key("u", {"MsgId": "42", "CreateTime": "1"}) == "wechat:msg:u:42"


@pytest.mark.parametrize(
    ("text", "source", "target"),
    [
        ("你好", "gh_forumbot00000", "o1"),
        ("带]]>的回答\n第二行 & <b>", "gh_a]]>b", ""),
        ("", "", "o&2"),
    ],
)
def test_a_reply_renders_as_wechatpy_renders_it(monkeypatch, text, source, target):
    """The reply's template is wechatpy's TextReply written out: the same XML to the byte."""
    monkeypatch.setattr("time.time", lambda: 1_700_000_000.7)
    message, _ = parse(render_message("text", source=target or "x", msg_id=9, content="问"))
    message.source, message.target = target, source
    ours = PLAIN.render(message, text)
    theirs = TextReply(
        content=_cdata(fit_bytes(text)), source=_cdata(source), target=_cdata(target)
    ).render()
    assert ours == theirs
