"""Several machines sharing one Redis: two app instances with their own BOT_DATA_DIR (two
machines) and the same BOT_REDIS_URL answer follow-ups and retries as one bot, keep working
through a Redis outage on their local stores, and share again once Redis is back."""

from __future__ import annotations

import time

import pytest

from bot.chat.conversation import show_passage
from bot.web import create_app
from tests.conftest import REPLIES
from tests.redis_support import RedisServer
from tests.wechat_support import WeChat, message_logs, webhook_config

FIRST = "论坛在哪里举行？"
SECOND = "杨学山的演讲题目是什么？"
RESILIENT_LOGGER = "bot.state.resilient"


def two_machines(tmp_path_factory, url: str, **settings):
    return tuple(
        create_app(
            webhook_config(tmp_path_factory.mktemp(f"machine-{n}"), redis_url=url, **settings)
        )
        for n in "ab"
    )


@pytest.fixture(scope="module")
def apps(tmp_path_factory, redis_server):
    return two_machines(tmp_path_factory, redis_server.url)


@pytest.fixture(params=["plain", "safe"])
def machines(request, apps) -> tuple[WeChat, WeChat]:
    return WeChat(apps[0], request.param), WeChat(apps[1], request.param)


def first_citation(engine, question: str) -> str:
    c = engine.ask(question).citations[0]
    return show_passage(1, c.passage.citation(), c.passage.text)


def resilient_logs(caplog, level: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == RESILIENT_LOGGER and r.levelname == level
    ]


def test_both_machines_use_redis(apps):
    for app in apps:
        assert app.test_client().get("/healthz").get_json()["store"] == "redis"
    keys = [app.extensions["forumbot"].user_key for app in apps]
    assert keys[0] == keys[1]  # one pseudonym per user, whichever machine hashes it


def test_a_follow_up_is_answered_on_the_other_machine(machines, engine):
    a, b = machines
    openid = f"oRedisFollowUp-{a.wechat.mode}"
    assert a.text(FIRST, openid=openid).text == engine.ask(FIRST).text
    assert b.text("1", openid=openid).text == first_citation(engine, FIRST)
    assert b.text("1", openid=f"oSomeoneElse-{a.wechat.mode}").text == REPLIES.no_previous


def test_a_retry_on_the_other_machine_gets_the_first_reply_computed_once(
    machines, apps, engine, caplog, monkeypatch
):
    caplog.set_level("INFO", logger="bot.web.webhook")
    a, b = machines
    openid = f"oRedisRetry-{a.wechat.mode}"
    expected = engine.ask(FIRST).text
    asked: list[str] = []  # every question either machine's engine is asked from now on
    for app in apps:
        machine_engine = app.extensions["forumbot"].engine
        monkeypatch.setattr(
            machine_engine,
            "ask",
            lambda q, _ask=machine_engine.ask, **kw: asked.append(q) or _ask(q, **kw),
        )

    question_id = a.wechat.next_msg_id()
    original = a.text(FIRST, openid=openid, msg_id=question_id)
    retry = b.text(FIRST, openid=openid, msg_id=question_id)
    assert retry.text == original.text == expected
    assert asked == [FIRST]  # computed by the first run only

    # The user's state moves on before the retry of "1" arrives: only the stored first reply
    # can still show FIRST's passage.
    number_id = a.wechat.next_msg_id()
    shown = a.text("1", openid=openid, msg_id=number_id)
    b.text(SECOND, openid=openid, msg_id=a.wechat.next_msg_id())
    assert b.text("1", openid=openid, msg_id=number_id).text == shown.text
    assert shown.text == first_citation(engine, FIRST) != first_citation(engine, SECOND)
    assert [line["retry"] for line in message_logs(caplog)] == [False, True, False, False, True]


# -- outage and recovery -----------------------------------------------------------------


@pytest.fixture
def own_redis(tmp_path):
    """A server this test may stop and restart (on the same port)."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def test_an_outage_falls_back_to_each_machine_and_sharing_resumes_after_it(
    tmp_path_factory, own_redis, caplog
):
    caplog.set_level("INFO")
    app_a, app_b = two_machines(tmp_path_factory, own_redis.url)
    for app in (app_a, app_b):
        app.extensions["forumbot"].store.breaker.cooldown = 0.05  # probe Redis again soon
    a, b = WeChat(app_a), WeChat(app_b)
    engine = app_a.extensions["forumbot"].engine
    health_a = app_a.test_client()

    a.text(FIRST, openid="oBefore")
    assert b.text("1", openid="oBefore").text == first_citation(engine, FIRST)

    own_redis.stop()
    for _ in range(3):  # each round re-probes the dead Redis: still one outage, one warning
        assert a.text(SECOND, openid="oDuring").text == engine.ask(SECOND).text
        time.sleep(0.06)
    assert a.text("1", openid="oDuring").text == first_citation(engine, SECOND)  # same machine
    assert health_a.get("/healthz").get_json()["store"] == "redis-down(local)"
    assert len(resilient_logs(caplog, "WARNING")) == 1
    assert (
        b.text("1", openid="oDuring").text == REPLIES.no_previous
    )  # the other machine cannot know
    assert len(resilient_logs(caplog, "WARNING")) == 2  # one per machine, not per request
    assert resilient_logs(caplog, "INFO") == []

    own_redis.start()  # same port, empty: the apps are not restarted
    time.sleep(0.06)
    a.text(FIRST, openid="oAfter")
    assert b.text("1", openid="oAfter").text == first_citation(engine, FIRST)
    assert health_a.get("/healthz").get_json()["store"] == "redis"
    resumed = resilient_logs(caplog, "INFO")
    assert len(resumed) == 2 and all("shared behaviour resumes" in line for line in resumed)
    assert len(resilient_logs(caplog, "WARNING")) == 2
