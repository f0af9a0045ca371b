"""End to end with Redis: two machines, each the real gunicorn with two workers and its own
BOT_DATA_DIR, sharing one real redis-server, as two servers behind WeChat's load balancing
would. Either machine's workers answer a user's follow-ups and retries alike, and the rate
limit counts across all four workers."""

from __future__ import annotations

import json
import urllib.request

import pytest

from bot.chat.conversation import show_passage
from tests.conftest import REPLIES
from tests.gunicorn_support import Server, production_settings, start_server
from tests.test_e2e_gunicorn import client

QUESTION = "论坛在哪里举行？"
LIMIT = 6  # per hour: no window ends during the test


@pytest.fixture(scope="module")
def machines(tmp_path_factory, redis_server):
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            settings = production_settings(
                BOT_REDIS_URL=redis_server.url, BOT_RATE_LIMIT=f"{LIMIT}/hour"
            )
            servers.append(start_server(tmp_path_factory.mktemp(f"gunicorn-{name}"), **settings))
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_both_machines_report_redis(machines):
    for server in machines:
        with urllib.request.urlopen(server.base + "/healthz") as response:
            assert json.load(response)["store"] == "redis"


def test_follow_ups_retries_and_the_rate_limit_span_both_machines(machines, engine):
    a, b = (client(server, "safe") for server in machines)
    openid = "oE2eRedisUser0000000000000001"
    first = engine.ask(QUESTION).citations[0]
    passage = show_passage(1, first.passage.citation(), first.passage.text)

    def send(wechat, text: str, msg_id: int | None = None) -> str | None:
        """One MsgId sequence for both machines, as WeChat has."""
        return wechat.send_text(openid, text, msg_id=msg_id or a.next_msg_id()).text

    assert send(a, QUESTION) == engine.ask(QUESTION).text
    assert [send(b, "1") for _ in range(3)] == [passage] * 3
    msg_id = a.next_msg_id()
    assert [send(wechat, "1", msg_id) for wechat in (a, b, a, b)] == [passage] * 4
    # 1 question + 3 numbers + 1 message (its 3 retries not counted) = 5 of 6
    assert send(a, "1") == passage
    assert send(b, QUESTION) == REPLIES.too_fast
    other = a.send_text(openid + "-other", QUESTION, msg_id=a.next_msg_id())
    assert other.text == engine.ask(QUESTION).text


def test_the_machines_stop_cleanly_and_never_lost_redis(machines):
    replies = []
    for server in machines:
        server.process.terminate()
        assert server.process.wait(timeout=60) == 0
        output = server.output()
        assert "Traceback" not in output, output
        assert "unavailable" not in output, output
        lines = [json.loads(line) for line in output.splitlines() if '"wechat message"' in line]
        replies += [line["reply"] for line in lines]
    assert replies.count("limited") == 1, replies
