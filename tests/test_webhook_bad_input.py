"""Forged, malformed and hostile requests get a short plain-text 4xx: never a 500, never a
stack trace, never an expanded entity."""

from __future__ import annotations

import time

import pytest
from wechatpy import parse_message

from bot.config import ConfigError
from bot.web import create_app
from bot.wechat.client import render_message, sign
from tests.wechat_support import APPID, OPENID, TOKEN, Sent, WeChat, webhook_config

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName><![CDATA[gh_forumbot00000]]></ToUserName>
<FromUserName><![CDATA[oZx1Y2w3V4u5T6s7R8q9P0onmlkj]]></FromUserName>
<CreateTime>1500000000</CreateTime><MsgType><![CDATA[text]]></MsgType>
<Content>&lol9;</Content><MsgId>1</MsgId></xml>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName><![CDATA[gh_forumbot00000]]></ToUserName>
<FromUserName><![CDATA[oZx1Y2w3V4u5T6s7R8q9P0onmlkj]]></FromUserName>
<CreateTime>1500000000</CreateTime><MsgType><![CDATA[text]]></MsgType>
<Content>&xxe;</Content><MsgId>2</MsgId></xml>"""

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<xml><MsgType>text</MsgType></xml>"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(webhook_config(tmp_path_factory.mktemp("data")))


@pytest.fixture(params=["plain", "safe"])
def wechat(request, app) -> WeChat:
    return WeChat(app, request.param)


def assert_refused(sent, status: int, reason: str = "") -> None:
    response = sent.response if isinstance(sent, Sent) else sent
    assert response.status_code == status, response.text
    assert response.mimetype == "text/plain"
    assert len(response.data) < 200
    assert "Traceback" not in response.text
    assert reason in response.text


# -- hostile XML -------------------------------------------------------------------------


def test_wechatpys_own_parser_refuses_entity_declarations_without_expanding_them():
    with pytest.raises(ValueError, match="entities are disabled"):
        parse_message(BILLION_LAUGHS)
    with pytest.raises(ValueError, match="entities are disabled"):
        parse_message(EXTERNAL_ENTITY)


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY])
def test_entity_declarations_are_refused_before_expansion(wechat, xml):
    """In plaintext mode as sent; in safe mode inside the (correctly signed) ciphertext."""
    assert_refused(wechat.post(xml), 400, "DOCTYPE")


def test_a_body_over_one_mebibyte_is_too_large(wechat):
    xml = render_message("text", source=OPENID, msg_id=3, content="问" * 400_000)  # 1.2 MB
    sent = wechat.post(xml)
    assert_refused(sent, 413, "too large")


# -- malformed or incomplete messages ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "malformed XML"),
        ("hello", "malformed XML"),
        ('{"MsgType": "text", "Content": "hi"}', "malformed XML"),
        ("<xml><ToUserName>gh</ToUserName>", "malformed XML"),
        ("<xml><MsgType>text</MsgType></xml><xml/>", "malformed XML"),
        ("<message><MsgType>text</MsgType></message>", "root element"),
        (
            "<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime>"
            "<MsgType>text</MsgType><Content>hi</Content></xml>",
            "FromUserName",
        ),
        (
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
            "Content",
        ),
        (
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>event</MsgType></xml>",
            "Event",
        ),
        (
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
            "<CreateTime>yesterday</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>",
            "CreateTime",
        ),
        (
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType><a>text</a></MsgType><Content>hi</Content></xml>",
            "MsgType",
        ),
    ],
)
def test_malformed_messages_are_bad_requests(wechat, body, reason):
    assert_refused(wechat.post(body), 400, reason)


def test_a_non_utf8_body_is_a_bad_request(app):
    wechat = WeChat(app, "plain")
    query, _ = wechat.wechat.prepare("<xml/>", openid=OPENID)
    body = render_message("text", source=OPENID, msg_id=4, content="论坛").encode("gb18030")
    response = wechat.client.post("/wechat", query_string=query, data=body)
    assert_refused(response, 400)


# -- forged requests ---------------------------------------------------------------------


@pytest.fixture
def text_xml() -> str:
    return render_message("text", source=OPENID, msg_id=5, content="论坛在哪里举行？")


def test_a_bad_signature_is_forbidden(wechat, text_xml):
    assert_refused(wechat.post(text_xml, signature="0" * 40), 403, "signature")


def test_a_missing_signature_is_forbidden(app, text_xml):
    response = app.test_client().post("/wechat", data=text_xml)
    assert_refused(response, 403, "signature")


def test_a_bad_msg_signature_is_forbidden(app, text_xml):
    sent = WeChat(app, "safe").post(text_xml, msg_signature="0" * 40)
    assert_refused(sent, 403, "msg_signature")


def test_a_message_encrypted_for_another_appid_is_forbidden(tmp_path, text_xml):
    other = create_app(webhook_config(tmp_path, wechat_appid="wx0000000000000000"))
    sent = WeChat(other, "safe").post(text_xml)  # our client encrypts for APPID
    assert APPID != "wx0000000000000000"
    assert_refused(sent, 403, "AppID")


def test_an_encrypted_message_without_a_configured_key_is_refused(tmp_path, text_xml):
    plain_only = create_app(webhook_config(tmp_path, wechat_aes_key="", wechat_appid=""))
    sent = WeChat(plain_only, "plain").post(
        text_xml.replace("</xml>", "<Encrypt>abc</Encrypt></xml>"), encrypt_type="aes"
    )
    assert_refused(sent, 400, "WECHAT_AES_KEY")


def test_a_corrupt_ciphertext_is_a_bad_request(app):
    wechat = WeChat(app, "safe")
    query, _ = wechat.wechat.prepare("<xml/>", openid=OPENID)
    garbage = "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0"  # base64, not a whole number of AES blocks
    query["msg_signature"] = sign(TOKEN, query["timestamp"], query["nonce"], garbage)
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt>{garbage}</Encrypt></xml>"
    response = wechat.client.post("/wechat", query_string=query, data=body)
    assert_refused(response, 400, "decrypt")


def test_an_encrypted_request_without_encrypt_is_a_bad_request(app, text_xml):
    sent = WeChat(app, "plain").post(text_xml, encrypt_type="aes")
    assert_refused(sent, 400, "Encrypt")


def test_only_get_and_post_are_allowed_and_the_refusal_is_plain_text(app):
    assert_refused(app.test_client().put("/wechat"), 405, "not allowed")
    assert_refused(app.test_client().delete("/wechat?signature=x"), 405)


# -- replays and modes --------------------------------------------------------------------


def test_a_signed_url_copied_onto_another_body_is_refused(tmp_path, text_xml):
    app = create_app(webhook_config(tmp_path, wechat_aes_key="", wechat_appid=""))
    wechat = WeChat(app, "plain")
    params, body = wechat.wechat.prepare(text_xml, openid=OPENID)
    client = app.test_client()
    first = client.post("/wechat", query_string=params, data=body)
    assert first.status_code == 200
    # WeChat's own retry repeats the body: still answered
    assert client.post("/wechat", query_string=params, data=body).status_code == 200
    forged = render_message("event", source="oSomeoneElse000000000000000", event="unsubscribe")
    assert_refused(client.post("/wechat", query_string=params, data=forged), 403, "already used")


def test_with_the_timestamp_check_off_a_copied_url_stays_refused(tmp_path, text_xml, monkeypatch):
    app = create_app(webhook_config(tmp_path, wechat_aes_key="", wechat_appid="", replay_window=0))
    params, body = WeChat(app, "plain").wechat.prepare(text_xml, openid=OPENID)
    client = app.test_client()
    assert client.post("/wechat", query_string=params, data=body).status_code == 200
    later = time.time() + 3600  # an hour on: the record once lived 60 s
    monkeypatch.setattr("bot.state.embedded.time.time", lambda: later)
    forged = render_message("event", source="oSomeoneElse000000000000000", event="unsubscribe")
    assert_refused(client.post("/wechat", query_string=params, data=forged), 403, "already used")


def test_an_unchecked_parameter_does_not_make_a_copied_url_fresh(tmp_path, text_xml):
    app = create_app(webhook_config(tmp_path, wechat_aes_key="", wechat_appid=""))
    params, body = WeChat(app, "plain").wechat.prepare(text_xml, openid=OPENID)
    client = app.test_client()
    assert client.post("/wechat", query_string=params, data=body).status_code == 200
    forged = render_message("event", source="oSomeoneElse000000000000000", event="unsubscribe")
    for extra in ("x", "y"):
        sent = client.post("/wechat", query_string={**params, "msg_signature": extra}, data=forged)
        assert_refused(sent, 403, "already used")


def test_an_encrypted_url_cannot_carry_a_plaintext_message_in_compatible_mode(app, text_xml):
    wechat = WeChat(app, "safe")
    params, body = wechat.wechat.prepare(text_xml, openid=OPENID)
    client = app.test_client()
    assert client.post("/wechat", query_string=params, data=body).status_code == 200
    plain = {k: v for k, v in params.items() if k != "encrypt_type"} | {"msg_signature": "z"}
    forged = render_message("event", source="oSomeoneElse000000000000000", event="unsubscribe")
    assert_refused(client.post("/wechat", query_string=plain, data=forged), 403, "already used")


def test_safe_mode_refuses_plaintext_messages(tmp_path, text_xml):
    app = create_app(webhook_config(tmp_path, encrypt_mode="safe"))
    assert_refused(WeChat(app, "plain").post(text_xml), 403, "safe mode")
    assert WeChat(app, "safe").text("论坛在哪里举行？").response.status_code == 200


def test_compatible_mode_takes_both(app):
    assert app.extensions["forumbot"].engine.config.message_mode == "compatible"
    assert WeChat(app, "plain").text("论坛在哪里举行？").response.status_code == 200
    assert WeChat(app, "safe").text("论坛在哪里举行？").response.status_code == 200


@pytest.mark.parametrize("mode", ["secure", "safe-ish"])
def test_an_unknown_message_mode_stops_the_start(tmp_path, mode):
    with pytest.raises(ConfigError, match="WECHAT_ENCRYPT_MODE"):
        create_app(webhook_config(tmp_path, encrypt_mode=mode))


def test_safe_mode_needs_the_aes_key(tmp_path):
    with pytest.raises(ConfigError, match="needs WECHAT_AES_KEY"):
        create_app(webhook_config(tmp_path, encrypt_mode="safe", wechat_aes_key=""))


# -- odd but signed ------------------------------------------------------------------------


def test_a_user_name_cannot_add_elements_to_the_reply(wechat):
    openid = "oEvil]]></FromUserName><Content>injected</Content><x><![CDATA["
    # as sent: the name correctly escaped inside its CDATA, so the request is well formed
    escaped = openid.replace("]]>", "]]]]><![CDATA[>")
    xml = render_message("text", source="PLACEHOLDER", msg_id=77, content="论坛在哪里举行？")
    sent = wechat.post(xml.replace("PLACEHOLDER", escaped), openid=openid)
    assert sent.response.status_code == 200, sent.response.text
    assert "injected" not in (sent.reply.content or "")
    assert sent.reply.target == openid


def test_a_click_whose_key_has_elements_gets_the_menu_fallback(wechat):
    xml = render_message("event", source=OPENID, event="CLICK", key="x").replace(
        "<EventKey><![CDATA[x]]></EventKey>", "<EventKey><a>1</a><b>2</b></EventKey>"
    )
    assert "<a>1</a>" in xml
    sent = wechat.post(xml)
    assert sent.response.status_code == 200
    assert "菜单按钮" in (sent.text or "")


def test_an_unwritable_data_dir_stops_the_start_in_one_line(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # no one, root included, can make a folder inside it
    with pytest.raises(ConfigError, match=r"BOT_DATA_DIR .* is not writable") as error:
        create_app(webhook_config(blocked / "data"))
    assert "\n" not in str(error.value)
