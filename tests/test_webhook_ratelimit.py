"""The per-user rate limit (BOT_RATE_LIMIT), counted across machines through Redis and across
the workers of one machine through BOT_DATA_DIR; retries of one message count once."""

from __future__ import annotations

import pytest

from bot.config import Config, ConfigError
from bot.state.ratelimit import parse_rate_limit
from bot.web import create_app
from tests.conftest import REPLIES
from tests.wechat_support import WeChat, message_logs, webhook_config

LIMIT = 3  # per hour in these tests: no window can end while a test runs
QUESTION = "论坛在哪里举行？"


@pytest.fixture(scope="module")
def apps_with_redis(tmp_path_factory, redis_server):
    """Two machines: their own data directories, one Redis."""
    return tuple(
        create_app(
            webhook_config(
                tmp_path_factory.mktemp(f"machine-{n}"),
                redis_url=redis_server.url,
                rate_limit=f"{LIMIT}/hour",
            )
        )
        for n in "ab"
    )


@pytest.fixture(scope="module")
def apps_on_one_machine(tmp_path_factory):
    """Two workers of one machine: one data directory, no Redis."""
    data_dir = tmp_path_factory.mktemp("one-machine")
    config = webhook_config(data_dir, rate_limit=f"{LIMIT}/hour")
    return create_app(config), create_app(config)


@pytest.fixture(params=["redis", "one-machine"])
def apps(request):
    return request.getfixturevalue(
        "apps_with_redis" if request.param == "redis" else "apps_on_one_machine"
    )


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_over_the_limit_a_user_gets_a_polite_reply_on_any_machine(apps, mode, caplog):
    caplog.set_level("INFO", logger="bot.web.webhook")
    a, b = WeChat(apps[0], mode), WeChat(apps[1], mode)
    engine = apps[0].extensions["forumbot"].engine
    openid = f"oHurriedUser-{mode}"
    ids = a.wechat  # one MsgId sequence for both machines, as WeChat has

    answers = [
        sender.text(QUESTION, openid=openid, msg_id=ids.next_msg_id()).text for sender in (a, b, a)
    ]
    assert answers == [engine.ask(QUESTION).text] * LIMIT
    over = b.text(QUESTION, openid=openid, msg_id=ids.next_msg_id())
    assert over.text == REPLIES.too_fast  # in safe mode, encrypted like any reply
    assert a.text("1", openid=openid, msg_id=ids.next_msg_id()).text == REPLIES.too_fast
    assert b.text(QUESTION, openid=f"oPatientUser-{mode}").text == engine.ask(QUESTION).text

    lines = message_logs(caplog)
    assert [line["reply"] for line in lines] == ["answer"] * LIMIT + ["limited"] * 2 + ["answer"]
    assert [line["answered"] for line in lines][LIMIT : LIMIT + 2] == [None, None]


def test_retries_of_one_message_count_once(apps):
    a, b = WeChat(apps[0]), WeChat(apps[1])
    engine = apps[0].extensions["forumbot"].engine
    openid = "oRetryingUser"
    first_id = a.wechat.next_msg_id()
    for sender in (a, b, a, b):  # the message and three retries, on both machines
        assert (
            sender.text(QUESTION, openid=openid, msg_id=first_id).text == engine.ask(QUESTION).text
        )
    for _ in range(LIMIT - 1):
        assert (
            b.text(QUESTION, openid=openid, msg_id=a.wechat.next_msg_id()).text != REPLIES.too_fast
        )
    limited_id = a.wechat.next_msg_id()
    assert a.text(QUESTION, openid=openid, msg_id=limited_id).text == REPLIES.too_fast
    assert b.text(QUESTION, openid=openid, msg_id=limited_id).text == REPLIES.too_fast  # its retry


def test_only_questions_count(apps):
    a = WeChat(apps[0])
    openid = "oClickingAround"
    for _ in range(LIMIT + 2):
        a.message("image", openid=openid, media_id="m", image="https://example.org/p.jpg")
    assert a.text(QUESTION, openid=openid).text != REPLIES.too_fast


def test_the_limit_is_read_from_the_environment():
    assert Config.from_env({}).rate_limit == "20/minute"
    assert Config.from_env({"BOT_RATE_LIMIT": "5/second"}).rate_limit == "5/second"
    assert parse_rate_limit("20/minute").amount == 20
    for off in ("0", "", " "):
        assert parse_rate_limit(off) is None


@pytest.mark.parametrize("off", ["0", ""])
def test_a_disabled_limit_never_refuses(tmp_path, off):
    app = create_app(webhook_config(tmp_path, rate_limit=off))
    assert app.extensions["forumbot"].limiter is None
    a = WeChat(app)
    assert all(a.text("1", openid="oFast").text != REPLIES.too_fast for _ in range(25))


@pytest.mark.parametrize("bad", ["fast", "20/fortnight", "-3/minute"])
def test_an_unreadable_limit_refuses_to_start(tmp_path, bad):
    with pytest.raises(ConfigError, match="BOT_RATE_LIMIT"):
        create_app(webhook_config(tmp_path, rate_limit=bad))
