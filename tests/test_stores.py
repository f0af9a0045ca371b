"""The StateStore contract, the same on every backend, and what sharing means for each."""

from __future__ import annotations

import time

import pytest

from bot.store import EmbeddedStore, MemoryStore, RedisStore, StoreUnavailable, open_store
from bot.store.resilient import ResilientStore
from tests.redis_support import free_port

VALUE = {"citations": [{"n": 1, "label": "孟庆国（清华大学）", "text": '引号"与]]>'}], "x": None}


@pytest.fixture(params=["memory", "embedded", "redis"])
def backend(request, tmp_path):
    """A factory of stores on one backend: calling it twice gives two views of the same
    state where the backend is shared (embedded: one directory; Redis: one server)."""
    opened = []

    def open_one():
        if request.param == "memory":
            store = opened[0] if opened else MemoryStore()
        elif request.param == "embedded":
            store = EmbeddedStore(tmp_path)
        else:
            server = request.getfixturevalue("redis_server")
            store = RedisStore(server.url, prefix=f"test:{tmp_path.name}:")
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


def test_json_values_come_back_equal(backend):
    store = backend()
    for key, value in [("a", VALUE), ("b", [1, 2.5, "三"]), ("c", "text"), ("d", 0), ("e", True)]:
        store.set(key, value)
        assert store.get(key) == value


def test_a_value_read_back_is_a_copy(backend):
    store = backend()
    store.set("k", {"list": [1]})
    got = store.get("k")
    got["list"].append(2)
    assert store.get("k") == {"list": [1]}


def test_add_claims_a_key_once(backend):
    first, second = backend(), backend()
    assert first.add("claim", {"pending": True}, ttl=30) is True
    assert second.add("claim", {"pending": True}, ttl=30) is False
    assert second.get("claim") == {"pending": True}


def test_deleting_a_missing_key_is_no_error(backend):
    store = backend()
    store.delete("never-set")
    assert store.get("never-set") is None


def test_a_key_expires_after_its_ttl(backend):
    store = backend()
    store.set("short", "v", ttl=0.2)
    store.add("short-add", "v", ttl=0.2)
    store.set("long", "v", ttl=60)
    assert store.get("short") == "v"
    time.sleep(0.3)
    assert store.get("short") is None
    assert store.add("short-add", "again") is True
    assert store.get("long") == "v"


def test_keys_are_kept_under_the_prefix(redis_server, tmp_path):
    store = RedisStore(redis_server.url, prefix=f"test:{tmp_path.name}:")
    store.set("k", "v")
    client = redis_server.client()
    assert client.get(f"test:{tmp_path.name}:k") == b'"v"'
    assert client.get("k") is None
    client.close()
    store.close()


def test_an_unreachable_redis_fails_at_once_with_store_unavailable():
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    for call in (lambda: store.get("k"), lambda: store.set("k", 1), lambda: store.add("k", 1)):
        with pytest.raises(StoreUnavailable):
            call()
    store.close()


def test_open_store_picks_the_backend(tmp_path, redis_server):
    embedded = open_store(tmp_path)
    assert isinstance(embedded, EmbeddedStore) and embedded.backend == "embedded"
    resilient = open_store(tmp_path, redis_server.url)
    assert isinstance(resilient, ResilientStore) and resilient.backend == "redis"
    embedded.close()
    resilient.close()
