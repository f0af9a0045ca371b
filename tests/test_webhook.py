"""The /wechat endpoint as WeChat uses it: server verification, every kind of message in
plaintext (明文), compatible (兼容) and safe (安全) mode, and the official encrypted sample."""

from __future__ import annotations

import json
import logging
import time

import pytest
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import EmptyReply, TextReply, deserialize_reply

from bot.log import JsonFormatter
from bot.state.privacy import hash_user
from bot.web import create_app
from bot.wechat.client import render_message, sign
from bot.wechat.limits import MAX_REPLY_BYTES
from tests.conftest import REPLIES
from tests.wechat_support import (
    OPENID,
    TOKEN,
    WeChat,
    all_logged_text,
    message_logs,
    official_vector,
    webhook_config,
)

MODES = ["plain", "compatible", "safe"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(webhook_config(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="module")
def engine(app):
    return app.extensions["forumbot"].engine


@pytest.fixture(scope="module")
def menu(app):
    return app.extensions["forumbot"].persona.menu  # no BOT_MENU_FILE: the persona's


@pytest.fixture(params=MODES)
def wechat(request, app) -> WeChat:
    return WeChat(app, request.param)


def signed_query(**overrides: str) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), "8231742"
    query = {
        "signature": sign(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": "8723456723456",
    }
    query.update(overrides)
    return query


# -- server verification (GET) -----------------------------------------------------------


def test_verification_echoes_echostr_when_signed_with_the_token(app):
    response = app.test_client().get("/wechat", query_string=signed_query())
    assert response.status_code == 200
    assert response.text == "8723456723456"


@pytest.mark.parametrize(
    "query",
    [
        {"signature": "0" * 40},
        {"signature": ""},
        {"nonce": "another-nonce"},  # signature no longer matches
    ],
)
def test_verification_with_a_bad_signature_is_forbidden(app, query):
    response = app.test_client().get("/wechat", query_string=signed_query(**query))
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert "8723456723456" not in response.text


def test_verification_outside_the_replay_window_is_forbidden(app):
    old = str(int(time.time()) - 301)
    query = signed_query(timestamp=old, signature=sign(TOKEN, old, "8231742"))
    response = app.test_client().get("/wechat", query_string=query)
    assert response.status_code == 403
    assert "replay window" in response.text


# -- text, answered ----------------------------------------------------------------------


def test_a_question_is_answered_with_a_text_reply_addressed_back(wechat, engine):
    sent = wechat.text("论坛在哪里举行？")
    assert sent.response.status_code == 200
    assert isinstance(sent.reply, TextReply)
    assert sent.reply.target == OPENID  # ToUserName/FromUserName swapped
    assert sent.reply.source == wechat.wechat.account
    assert sent.text == engine.ask("论坛在哪里举行？").text
    assert len(sent.text.encode("utf-8")) <= MAX_REPLY_BYTES


def test_replies_to_encrypted_requests_are_encrypted_and_signed(app):
    sent = WeChat(app, "safe").text("论坛在哪里举行？")
    envelope = xmltodict.parse(sent.response.data)["xml"]
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert "论坛" not in sent.response.text
    assert envelope["MsgSignature"] == sign(
        TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"]
    )


def test_plaintext_requests_get_plaintext_replies(app):
    sent = WeChat(app, "plain").text("论坛在哪里举行？")
    assert sent.response.mimetype == "application/xml"
    assert deserialize_reply(sent.response.text).content == sent.text


def test_an_overlong_question_is_cut_and_still_answered_within_the_limit(wechat):
    sent = wechat.text("论坛在哪里举行？" + "智慧城市" * 30_000)  # ~360 KB of text
    assert sent.response.status_code == 200
    assert 0 < len(sent.text.encode("utf-8")) <= MAX_REPLY_BYTES


def test_an_empty_text_gets_the_introduction_not_an_error(wechat, engine):
    sent = wechat.text("")
    assert sent.response.status_code == 200
    assert sent.text == engine.ask("").text


# -- every other kind of message ---------------------------------------------------------


def test_voice_with_recognition_is_answered_like_text(wechat, engine):
    sent = wechat.message("voice", media_id="m1", format="amr", recognition="论坛在哪里举行？")
    assert sent.text == engine.ask("论坛在哪里举行？").text


def test_voice_without_recognition_asks_for_text(wechat):
    sent = wechat.message("voice", media_id="m1", format="amr")
    assert sent.text == REPLIES.voice_not_recognised


@pytest.mark.parametrize(
    "event",
    [
        {"event": "subscribe"},
        {"event": "subscribe", "key": "qrscene_123"},  # followed by scanning a QR code
        {"event": "scan", "scene_id": "123", "ticket": "TICKET"},
    ],
)
def test_a_new_follower_is_welcomed_with_example_questions(wechat, menu, event):
    sent = wechat.message("event", **event)
    assert sent.text == menu.welcome
    assert "论坛在哪里举行？" in sent.text


@pytest.mark.parametrize(
    "event",
    [
        {"event": "unsubscribe"},
        {"event": "view", "url": "https://example.org/forum"},
        {"event": "location", "latitude": "39.99", "longitude": "116.31", "precision": "30"},
        {"event": "templatesendjobfinish", "status": "success"},
        {"event": "some_future_event"},
    ],
)
def test_other_events_get_no_reply(wechat, event):
    sent = wechat.message("event", **event)
    assert sent.response.status_code == 200
    assert sent.response.text == "success"
    assert isinstance(sent.reply, EmptyReply)


def test_a_menu_click_asks_its_preset_question(wechat, engine, menu):
    key, question = next(iter(menu.questions.items()))
    sent = wechat.message("event", event="click", key=key)
    assert sent.text == engine.ask(question).text


def test_an_unknown_menu_key_says_so_and_suggests_asking(wechat):
    sent = wechat.message("event", event="click", key="NOT_IN_THE_MENU")
    assert sent.text == REPLIES.menu_key_unknown


@pytest.mark.parametrize(
    ("msg_type", "fields"),
    [
        ("image", {"media_id": "m", "image": "https://example.org/p.jpg"}),
        (
            "location",
            {"location_x": "39.99", "location_y": "116.31", "scale": "15", "label": "北大"},
        ),
        ("link", {"title": "报道", "description": "全文", "url": "https://example.org"}),
        ("video", {"media_id": "m", "thumb_media_id": "t"}),
        ("shortvideo", {"media_id": "m", "thumb_media_id": "t"}),
        ("file", {"extra": {"Title": "议程.pdf", "FileKey": "k", "FileMd5": "0" * 32}}),
        ("hologram", {"extra": {"Depth": "3"}}),  # a type WeChat may add one day
    ],
)
def test_messages_the_bot_cannot_read_get_a_polite_note(wechat, msg_type, fields):
    sent = wechat.message(msg_type, **fields)
    assert sent.response.status_code == 200
    assert sent.text == REPLIES.can_only_read_text


# -- logging and privacy -----------------------------------------------------------------


def test_each_message_logs_one_structured_line_with_a_hashed_user(app, caplog):
    caplog.set_level("INFO", logger="bot.web.webhook")
    WeChat(app, "safe").text("论坛在哪里举行？")
    (line,) = message_logs(caplog)
    key = app.extensions["forumbot"].user_key
    assert line["user"] == hash_user(OPENID, key)
    assert line["type"] == "text"
    assert line["answered"] is True
    assert line["top_score"] > 0
    assert line["latency_ms"] >= 0
    assert OPENID not in all_logged_text(caplog)


def test_a_json_line_has_its_own_time_whichever_second_came_before():
    """The formatter writes a second once and reuses it: each line still has its own."""
    formatter = JsonFormatter()
    for created in (1_700_000_000.25, 1_700_000_000.999, 1_700_000_001.5, 1_699_999_999.0):
        record = logging.LogRecord("bot.web.webhook", logging.INFO, "", 0, "m", (), None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
        line = json.loads(formatter.format(record))
        assert line["ts"] == f"{stamp}.{int(record.msecs):03d}Z"


def test_the_store_keeps_no_raw_openid(app):
    WeChat(app, "plain").text("论坛在哪里举行？")
    data_dir = app.extensions["forumbot"].engine.config.data_dir
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert OPENID.encode() not in path.read_bytes(), path


# -- Tencent's own sample ----------------------------------------------------------------


@pytest.fixture(scope="module")
def vector():
    return official_vector()


@pytest.fixture(scope="module")
def vector_app(tmp_path_factory, vector):
    config = webhook_config(
        tmp_path_factory.mktemp("vector"),
        wechat_token=vector["token"],
        wechat_aes_key=vector["encoding_aes_key"],
        wechat_appid=vector["appid"],
        replay_window=0,  # the sample was signed in 2014
    )
    return create_app(config)


def test_wechatpy_decrypts_the_official_sample(vector):
    crypto = WeChatCrypto(vector["token"], vector["encoding_aes_key"], vector["appid"])
    q = vector["query"]
    xml = crypto.decrypt_message(vector["body"], q["msg_signature"], q["timestamp"], q["nonce"])
    assert parse_message(xml).content == "abcdteT"


def test_the_official_sample_is_verified_decrypted_and_answered_encrypted(vector, vector_app):
    crypto = WeChatCrypto(vector["token"], vector["encoding_aes_key"], vector["appid"])
    # The sample is in compatible mode; garble its plaintext copy to show the server
    # answers what it decrypted.
    body = vector["body"].replace("<Content><![CDATA[abcdteT]]>", "<Content><![CDATA[xx]]>")
    response = vector_app.test_client().post(
        "/wechat", query_string=vector["query"], data=body, content_type="text/xml"
    )
    assert response.status_code == 200
    envelope = xmltodict.parse(response.data)["xml"]
    xml = crypto.decrypt_message(
        envelope, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    reply = deserialize_reply(xml)
    assert isinstance(reply, TextReply)
    assert reply.target == vector["decrypted"]["FromUserName"]
    assert reply.source == vector["decrypted"]["ToUserName"]
    assert reply.content == vector_app.extensions["forumbot"].engine.ask("abcdteT").text


def test_the_official_sample_with_a_tampered_ciphertext_is_forbidden(vector, vector_app):
    body = vector["body"].replace("hyzAe4Oz", "hyzAe4Oy")
    response = vector_app.test_client().post(
        "/wechat", query_string=vector["query"], data=body, content_type="text/xml"
    )
    assert response.status_code == 403


def test_a_message_outside_the_replay_window_is_forbidden(wechat):
    xml = render_message("text", source=OPENID, msg_id=1, content="论坛在哪里举行？")
    sent = wechat.post(xml, timestamp=str(int(time.time()) - 3600))
    assert sent.response.status_code == 403
    assert "replay window" in sent.response.text


def test_test_messages_are_what_wechatpy_parses_back_into_the_same_class():
    xml = render_message("voice", source="o1", msg_id=7, media_id="m", recognition="你好")
    message = parse_message(xml)
    assert (message.type, message.source, message.id, message.recognition) == (
        "voice",
        "o1",
        7,
        "你好",
    )


@pytest.mark.parametrize(
    ("msg_type", "values", "extra"),
    [
        ("text", {"content": "  论坛在哪里举行？ "}, None),
        ("text", {"content": ""}, None),
        ("voice", {"media_id": "m", "format": "amr", "recognition": "你好"}, None),
        ("voice", {"media_id": "m", "format": "amr"}, None),
        ("image", {"media_id": "m", "image": "https://example.org/p.jpg"}, None),
        ("location", {"location_x": "39.99", "location_y": "116.31", "scale": "15"}, None),
        ("link", {"title": "报道", "description": "全文", "url": "https://example.org"}, None),
        ("shortvideo", {"media_id": "m", "thumb_media_id": "t"}, None),
        ("file", {}, {"Title": "议程.pdf", "FileKey": "k"}),
        ("hologram", {}, {"Depth": "3"}),
    ],
)
def test_the_webhook_reads_a_message_as_wechatpy_parse_message_does(msg_type, values, extra):
    """Messages are read once (bot.web.webhook parses the XML and hands the fields to wechatpy's
    message class); what comes out must be what parse_message makes of the same bytes."""
    from bot.wechat.protocol import parse

    xml = render_message(msg_type, source="o1", msg_id=7, extra=extra, **values)
    ours, _ = parse(xml.encode())
    theirs = parse_message(xml)
    assert type(ours) is type(theirs)
    for name in ("type", "source", "target", "time", "id", *values):
        assert (name, getattr(ours, name)) == (name, getattr(theirs, name))
