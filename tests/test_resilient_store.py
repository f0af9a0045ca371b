"""Redis first, the local store while Redis is down or hung: the circuit breaker, its two log
lines, and the rate limiter riding on the same breaker. A real redis-server is stopped,
frozen and restarted under the store."""

from __future__ import annotations

import os
import signal
import time

import pytest

from bot.state import EmbeddedStore, RedisStore, ResilientStore, open_store
from bot.state.ratelimit import RateLimiter, open_rate_limiter
from tests.redis_support import RedisServer, free_port

LOGGER = "bot.state.resilient"


@pytest.fixture
def server(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)  # in case a test left it frozen
    server.stop()


@pytest.fixture
def store(server, tmp_path):
    store = ResilientStore(RedisStore(server.url), EmbeddedStore(tmp_path / "local"))
    yield store
    store.close()


def logged(caplog, level: str) -> int:
    return sum(1 for r in caplog.records if r.name == LOGGER and r.levelname == level)


def test_while_redis_is_up_everything_goes_to_redis(store, server):
    store.set("k", {"v": 1})
    assert store.backend == "redis" and store.healthy
    assert store.fallback.get("k") is None
    assert server.client().get("forumbot:k") == b'{"v": 1}'


def test_an_open_breaker_leaves_redis_alone_until_its_cooldown_is_over(store, server, caplog):
    caplog.set_level("INFO", logger=LOGGER)
    store.breaker.cooldown = 3600
    server.stop()
    store.set("k", "during")
    assert store.backend == "redis-down(local)" and not store.healthy
    server.start()  # back, but the breaker does not know yet: calls stay local
    store.set("k2", "still local")
    assert store.get("k") == "during"
    assert server.client().get("forumbot:k2") is None
    assert (logged(caplog, "WARNING"), logged(caplog, "INFO")) == (1, 0)

    store.breaker.cooldown = 0  # the cooldown is over: the next call probes and recovers
    store.set("k3", "shared")
    assert server.client().get("forumbot:k3") == b'"shared"'
    assert store.healthy
    assert (logged(caplog, "WARNING"), logged(caplog, "INFO")) == (1, 1)


def test_a_hung_redis_times_out_and_the_reply_goes_on(store, server, caplog):
    """A frozen server accepts connections and never answers: the socket timeout, not
    WeChat's 5 s, decides, and only the first call of the outage pays it."""
    caplog.set_level("INFO", logger=LOGGER)
    store.set("k", "before")
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        # A command that timed out may still run when Redis wakes: "during" goes to a key
        # this test does not read back from Redis.
        store.set("k2", "during")
        assert store.get("k2") == "during"
        assert store.get("k") is None  # the local store never had it
        assert store.add("claim", 1) is True
        assert store.backend == "redis-down(local)"
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
    assert logged(caplog, "WARNING") == 1
    store.breaker.cooldown = 0
    assert store.get("k") == "before"  # Redis again: what it held before the outage
    assert logged(caplog, "INFO") == 1


def test_a_logout_made_during_an_outage_reaches_redis_once_it_is_back(store, server, tmp_path):
    """A revoked session written only to this machine's store during the outage came undone
    once Redis answered again, on every machine: it is put into Redis, with its time."""
    store.breaker.cooldown = 3600
    server.stop()
    store.set("admin:revoked:s1", 1, ttl=600)
    store.set("conversation:u", {"asked": "q"}, ttl=600)  # not owed: starts afresh
    server.start()
    store.breaker.cooldown = 0
    assert store.get("anything") is None  # the first call once back pays what is owed
    client = server.client()
    assert client.get("forumbot:admin:revoked:s1") == b"1"
    assert 0 < client.ttl("forumbot:admin:revoked:s1") <= 600
    assert client.get("forumbot:conversation:u") is None
    other = ResilientStore(RedisStore(server.url), EmbeddedStore(tmp_path / "other"))
    assert other.get("admin:revoked:s1") == 1  # another machine sees the logout
    other.close()


def test_a_reply_given_during_a_stall_reaches_the_claim_the_stalled_begin_left(store, server):
    """Redis froze past the timeout: the message was answered locally, but its begin, sent
    before, ran once Redis woke and left the claim pending, so WeChat's retries waited on
    it and got the busy reply. The reply is owed to Redis and put there once it is back."""
    from bot.state.base import Turn

    turn = Turn(claim="claim:m1", claim_ttl=30, context="conversation:u1", stamp="stamp")
    assert store.primary.begin(turn, {"pending": True}).state == "claimed"  # the late begin
    store.breaker.cooldown = 3600
    server.stop()
    store.finish(turn, {"text": "answered"}, 30, {"asked": "q"}, 600)  # locally
    server.start()
    store.breaker.cooldown = 0
    store.get("anything")  # the first call once back pays what is owed
    again = store.primary.begin(turn, {"pending": True})
    assert again.state == "taken" and again.stored == {"text": "answered"}


def test_the_rate_limit_counts_locally_during_an_outage_with_one_warning(server, tmp_path, caplog):
    caplog.set_level("INFO", logger=LOGGER)
    store = open_store(tmp_path, server.url)
    limiter = open_rate_limiter("2/hour", store)
    assert isinstance(limiter, RateLimiter)
    assert limiter.allow("u") is True  # counted in Redis
    server.stop()
    assert [limiter.allow("u") for _ in range(3)] == [True, True, False]  # counted locally
    store.set("k", 1)
    assert store.get("k") == 1
    assert logged(caplog, "WARNING") == 1  # the limiter and the store share one breaker
    server.start()
    store.breaker.cooldown = 0
    assert limiter.allow("u") is True  # an empty Redis: a new window
    assert store.healthy and logged(caplog, "INFO") == 1
    store.close()


def test_without_redis_the_limit_is_counted_in_the_data_dir(tmp_path):
    first = open_rate_limiter("2/hour", open_store(tmp_path))
    second = open_rate_limiter("2/hour", open_store(tmp_path))  # another worker
    assert first is not None and second is not None
    assert [first.allow("u"), second.allow("u"), first.allow("u")] == [True, True, False]
    assert second.allow("someone else") is True


def test_a_fixed_window_ends(tmp_path):
    limiter = open_rate_limiter("1/second", open_store(tmp_path))
    assert limiter is not None
    assert [limiter.allow("u"), limiter.allow("u")] == [True, False]
    time.sleep(1.1)
    assert limiter.allow("u") is True


def test_a_redis_refusing_writes_counts_as_an_outage(store, server, caplog):
    """After a failover, a client may still be pointed at a node that became a replica:
    READONLY on every write is no bug of the bot's, and the local store takes over."""
    caplog.set_level("INFO", logger=LOGGER)
    admin = server.client()
    admin.replicaof("127.0.0.1", free_port())  # a master that does not exist: read-only
    try:
        store.set("k", "local")
        assert store.get("k") == "local" and store.backend == "redis-down(local)"
    finally:
        admin.replicaof("NO", "ONE")
    store.breaker.cooldown = 0
    store.set("k", "shared")
    assert admin.get("forumbot:k") == b'"shared"'
    assert (logged(caplog, "WARNING"), logged(caplog, "INFO")) == (1, 1)
    admin.close()
