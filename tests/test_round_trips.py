"""A message's shared state costs one round trip to read (and claim) and one to write, on
every store: the issue's budget, counted on the real backends while the real app answers.

Embedded: the LMDB write transactions the store begins on its environment (checked against
LMDB's own count of commits), and any SQLite transaction on the state database, from its own
statement trace (an explicit BEGIN … COMMIT is one, any statement outside one is one more:
a message makes none, its state is all in LMDB). Redis: every command or pipeline redis-py
sends, on any connection of this process, to a real redis-server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis.connection

from bot.state import EmbeddedStore, ResilientStore
from bot.web import create_app
from tests.wechat_support import WeChat, webhook_config

FIRST = "论坛在哪里举行？"
CLAIMED, RETRY = 2, 1  # round trips: a message that is answered, a retry of one answered


class Transactions:
    """SQLite transactions seen in a connection's statement trace."""

    def __init__(self) -> None:
        self.count = 0
        self._open = False

    def __call__(self, sql: str) -> None:
        verb = sql.split(None, 1)[0].upper()
        if verb == "BEGIN":
            self.count += 1
            self._open = True
        elif verb in ("COMMIT", "ROLLBACK", "END"):
            self._open = False
        elif not self._open:  # autocommit: a transaction of its own
            self.count += 1


class WriteTransactions:
    """An LMDB environment whose write transactions are counted; the rest goes through."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.count = 0

    def begin(self, *args: Any, write: bool = False, **kwargs: Any) -> Any:
        self.count += write
        return self.env.begin(*args, write=write, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)


@pytest.fixture(params=["embedded", "redis"])
def counted(request, tmp_path, monkeypatch) -> Iterator[tuple[WeChat, Callable[[], int]]]:
    """The app on one store, and what its shared state has cost so far, with the rate
    limit on as it is in production: its count is part of the round trip."""
    if request.param == "embedded":
        app = create_app(webhook_config(tmp_path, rate_limit="20/minute"))
        store = app.extensions["forumbot"].store
        assert isinstance(store, EmbeddedStore)
        transactions = Transactions()
        db, _ = store._open()
        db.set_trace_callback(transactions)
        with store._writing() as (_, handle):
            real = handle.env
        writes = handle.env = WriteTransactions(real)
        committed = real.info()["last_txnid"]

        def cost() -> int:
            # LMDB counts a commit that wrote something: never more than were begun
            assert real.info()["last_txnid"] - committed <= writes.count
            return writes.count + transactions.count

        yield WeChat(app), cost
        handle.env = real
        db.set_trace_callback(None)
    else:
        server = request.getfixturevalue("redis_server")
        app = create_app(webhook_config(tmp_path, redis_url=server.url, rate_limit="20/minute"))
        assert isinstance(app.extensions["forumbot"].store, ResilientStore)
        sent = [0]
        send = redis.connection.AbstractConnection.send_packed_command

        def counting(self: Any, command: Any, check_health: bool = True) -> None:
            sent[0] += 1
            send(self, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
        wechat = WeChat(app)
        # a server's first message also loads the script (EVALSHA, NOSCRIPT, SCRIPT LOAD)
        assert wechat.text(FIRST, openid="oWarmUp").text
        yield wechat, lambda: sent[0]
    app.extensions["forumbot"].close()


def test_a_message_reads_its_state_in_one_round_trip_and_writes_it_in_one(counted):
    wechat, cost = counted
    spent: list[int] = []

    def send(message: Callable[[], Any]) -> Any:
        before = cost()
        sent = message()
        spent.append(cost() - before)
        return sent

    question = wechat.wechat.next_msg_id()
    first = send(lambda: wechat.text(FIRST, msg_id=question))
    retry = send(lambda: wechat.text(FIRST, msg_id=question))
    assert first.text and "出处" in first.text and retry.text == first.text
    assert send(lambda: wechat.text("1")).text  # the citation, from the conversation
    assert send(lambda: wechat.text("他还讲了什么")).text  # a follow-up, read and written
    send(lambda: wechat.message("event", event="subscribe"))
    send(lambda: wechat.message("event", event="unsubscribe"))  # drops the conversation
    assert spent == [CLAIMED, RETRY, CLAIMED, CLAIMED, CLAIMED, CLAIMED]


def test_a_refused_copy_of_a_signed_url_costs_one_round_trip(counted):
    """The signed URL's record is part of the begin: a copied URL with another body is
    refused by it, before anything is claimed or counted."""
    wechat, cost = counted
    params, body = wechat.wechat.prepare(
        "<xml><ToUserName>gh</ToUserName><FromUserName>oCopy</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content>"
        "<MsgId>1</MsgId></xml>",
        openid="oCopy",
    )
    post = lambda data: wechat.client.post(  # noqa: E731
        "/wechat", query_string=params, data=data, content_type="text/xml"
    )
    assert post(body).status_code == 200
    before = cost()
    forged = body.replace(b"<MsgId>1</MsgId>", b"<MsgId>2</MsgId>")
    assert post(forged).status_code == 403
    assert cost() - before == 1
