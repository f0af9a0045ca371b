"""Hostile and odd messages over the whole message path, signed and encrypted for real so
that the mutation reaches the parser and the handlers: never a 5xx, never a crash, and every
reply within WeChat's 2048 bytes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.web import create_app
from bot.wechat.client import render_message
from bot.wechat.limits import MAX_REPLY_BYTES
from tests.wechat_support import OPENID, WeChat, webhook_config

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Text as users and broken clients send it: any code point XML can carry, emoji, controls
# stripped by XML, right-to-left marks, full-width forms, very long runs.
XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11"
    "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff",
)
CONTENT = st.one_of(
    st.text(XML_CHARS, max_size=200),
    st.text(XML_CHARS, min_size=3000, max_size=6000),
    st.sampled_from(["", " ", "？", "杨学山" * 800, "]]>", "<xml>", "&amp;", "1", "99"]),
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    config = webhook_config(tmp_path_factory.mktemp("fuzz"), rate_limit="0")
    return create_app(config)


def check(sent) -> None:
    assert sent.response.status_code in {200, 400, 403}, sent.response.data[:300]
    if sent.response.status_code == 200 and sent.text is not None:
        assert len(sent.text.encode("utf-8")) <= MAX_REPLY_BYTES


@FUZZ
@given(content=CONTENT, mode=st.sampled_from(["plain", "compatible", "safe"]))
def test_any_text_is_answered_within_the_limit(app, content, mode):
    wechat = WeChat(app, mode)
    sent = wechat.text(content)
    assert sent.response.status_code == 200
    check(sent)


@FUZZ
@given(
    recognition=CONTENT,
    msg_type=st.sampled_from(["voice", "text", "image", "location", "link", "video"]),
)
def test_any_message_type_with_odd_fields(app, recognition, msg_type):
    wechat = WeChat(app, "safe")
    values = {"recognition": recognition} if msg_type == "voice" else {}
    if msg_type == "text":
        values = {"content": recognition}
    sent = wechat.message(msg_type, **values)
    check(sent)


@FUZZ
@given(
    event=st.sampled_from(["subscribe", "unsubscribe", "click", "view", "scan", "bogus", ""]),
    key=CONTENT,
)
def test_any_event_with_any_key(app, event, key):
    wechat = WeChat(app, "safe")
    xml = render_message("event", source=OPENID, event=event or None, extra={"EventKey": key})
    check(wechat.post(xml))


def _mutations(xml: str) -> st.SearchStrategy[str]:
    n = len(xml)
    cut = st.tuples(st.integers(0, n), st.integers(0, 40)).map(
        lambda t: xml[: t[0]] + xml[t[0] + t[1] :]
    )
    insert = st.tuples(st.integers(0, n), st.text(max_size=20)).map(
        lambda t: xml[: t[0]] + t[1] + xml[t[0] :]
    )
    swap_field = st.sampled_from(
        ["MsgType", "CreateTime", "MsgId", "FromUserName", "Content", "ToUserName"]
    ).flatmap(
        lambda name: st.text(XML_CHARS, max_size=50).map(
            lambda value: xml.replace(f"<{name}>", f"<{name}>{value}", 1)
        )
    )
    drop_field = st.sampled_from(["MsgType", "CreateTime", "MsgId", "FromUserName"]).map(
        lambda name: xml.replace(f"<{name}>", "<Dropped>", 1).replace(f"</{name}>", "</Dropped>", 1)
    )
    return st.one_of(cut, insert, swap_field, drop_field)


VALID = render_message("text", source=OPENID, msg_id=12345678901234, content="论坛在哪里举行？")


@FUZZ
@given(xml=_mutations(VALID), mode=st.sampled_from(["plain", "safe"]))
def test_mutated_valid_messages_are_answered_or_refused(app, xml, mode):
    """The mutation is made before signing and encrypting, as a buggy sender would."""
    check(WeChat(app, mode).post(xml))


@FUZZ
@given(
    encoding=st.sampled_from(["gbk", "gb18030", "utf-16", "utf-16-be", "latin-1", "utf-8-sig"]),
    content=st.text(XML_CHARS, max_size=40),
)
def test_messages_in_other_encodings_are_refused_or_answered_never_crash(app, encoding, content):
    wechat = WeChat(app, "plain")
    xml = render_message("text", source=OPENID, msg_id=wechat.wechat.next_msg_id(), content=content)
    query, _ = wechat.wechat.prepare(xml, openid=OPENID)
    declared = f'<?xml version="1.0" encoding="{encoding}"?>' + xml
    body = declared.encode(encoding, "replace")
    response = wechat.client.post("/wechat", query_string=query, data=body)
    assert response.status_code in {200, 400}, response.data[:300]
