"""The StateStore contract, the same on every backend, and what sharing means for each."""

from __future__ import annotations

import time

import pytest

from bot.state import EmbeddedStore, MemoryStore, RedisStore, StoreUnavailable, open_store
from bot.state.base import KEEP, Turn, Window
from bot.state.resilient import ResilientStore
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


# -- a message's begin and finish ----------------------------------------------------------

PENDING = {"pending": True}
WINDOW = Window(limit=2, seconds=60)


def turn(claim: str, **fields) -> Turn:
    return Turn(claim=claim, claim_ttl=30, context="conversation:u", stamp="stamp", **fields)


def test_a_begin_reads_the_stamp_and_the_context_and_claims(backend):
    first, second = backend(), backend()
    first.set("stamp", {"version": "v1"})
    first.set("conversation:u", VALUE)
    begun = first.begin(turn("m1"), PENDING)
    assert (begun.state, begun.stamp, begun.context) == ("claimed", {"version": "v1"}, VALUE)
    taken = second.begin(turn("m1"), PENDING)  # another worker, the same message
    assert (taken.state, taken.stored, taken.stamp) == ("taken", PENDING, {"version": "v1"})
    assert taken.context is None and taken.count is None


def test_only_the_begin_that_claims_counts(backend):
    first, second = backend(), backend()
    counted = turn("m1", rate=("rate:u", WINDOW))
    assert first.begin(counted, PENDING).count == 1
    assert second.begin(counted, PENDING).count is None  # a retry: not counted again
    assert second.count("rate:u", WINDOW) == 2  # the same counter, counted on its own
    assert first.begin(turn("m2", rate=("rate:u", WINDOW)), PENDING).count == 3


def test_a_fixed_window_starts_with_its_first_hit(backend):
    store = backend()
    short = Window(limit=1, seconds=0.3)
    assert [store.count("rate:w", short) for _ in range(3)] == [1, 2, 3]
    time.sleep(0.4)
    assert store.begin(turn("m1", rate=("rate:w", short)), PENDING).count == 1


def test_a_signed_url_is_remembered_with_its_body_by_the_begin(backend):
    first, second = backend(), backend()
    signed = ("signed:1", "digest-a", 60)
    assert first.begin(turn("m1", signed=signed), PENDING).state == "claimed"
    assert second.begin(turn("m1", signed=signed), PENDING).state == "taken"  # a retry
    copied = ("signed:1", "digest-b", 60)
    assert second.begin(turn("m2", signed=copied, rate=("r", WINDOW)), PENDING).state == "reused"
    assert first.get("m2") is None and first.get("r") is None  # nothing claimed or counted
    assert first.get("signed:1") == "digest-a"


def test_a_finish_writes_the_reply_and_the_conversation_together(backend):
    first, second = backend(), backend()
    first.set("conversation:u", {"asked": "before"})
    first.begin(turn("m1"), PENDING)
    first.finish(turn("m1"), {"text": "r1"}, 300, KEEP, 60)
    assert second.get("m1") == {"text": "r1"} and second.get("conversation:u") == {
        "asked": "before"
    }
    first.begin(turn("m2"), PENDING)
    first.finish(turn("m2"), {"text": "r2"}, 300, {"asked": "now"}, 60)
    assert second.begin(turn("m3"), PENDING).context == {"asked": "now"}
    first.finish(turn("m3"), {"text": "r3"}, 300, None, 60)
    assert second.get("conversation:u") is None
    assert second.begin(turn("m3"), PENDING).stored == {"text": "r3"}


def test_an_upgrade_keeps_the_secrets_an_earlier_release_kept_in_diskcache(tmp_path):
    """Earlier releases kept the state in diskcache under BOT_DATA_DIR/state: what never
    expires there (the key users are hashed with) is copied into the new table once."""
    import diskcache

    from bot.state.privacy import USER_KEY, user_hash_key

    old = diskcache.FanoutCache(str(tmp_path / "state"), shards=8)
    old.set(USER_KEY, "the-old-key")
    old.set("conversation:u", {"asked": "q"}, expire=600)
    old.set("admin:revoked:abc", 1, expire=600)  # a logout: it must still hold
    old.close()
    store = EmbeddedStore(tmp_path)
    assert user_hash_key(store) == "the-old-key"
    assert store.get("conversation:u") is None  # short-lived: starts afresh
    assert store.get("admin:revoked:abc") == 1
    store.set(USER_KEY, "changed")
    store.close()
    again = EmbeddedStore(tmp_path)  # copied once only: the table is not empty any more
    assert again.get(USER_KEY) == "changed"
    again.close()


def test_a_state_file_of_an_earlier_release_is_rebuilt_with_every_row(tmp_path):
    """Earlier releases made the table WITHOUT ROWID: it is rebuilt once, its rows kept
    with their expiry (the user key, a revoked session, a live conversation), and a second
    open leaves it as it is."""
    import json
    import sqlite3

    from bot.state.privacy import USER_KEY, user_hash_key

    later = time.time() + 600
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.executescript(
            "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL)"
            " WITHOUT ROWID;"
            "CREATE INDEX state_expires ON state (expires) WHERE expires IS NOT NULL;"
        )
        rows = [
            (USER_KEY, json.dumps("the-old-key"), None),
            ("admin:revoked:abc", "1", later),
            ("conversation:u", json.dumps({"asked": "张明是谁"}), later),
            ("gone", "1", time.time() - 1),
        ]
        db.executemany("INSERT INTO state VALUES (?, ?, ?)", rows)
    db.close()
    store = EmbeddedStore(tmp_path)
    assert user_hash_key(store) == "the-old-key"
    assert store.get("admin:revoked:abc") == 1
    assert store.get("conversation:u") == {"asked": "张明是谁"}
    assert store.get("gone") is None
    assert store.add("gone", 2, ttl=60)  # an expired row is free as before
    store.close()

    def table() -> tuple[str, list[str], int]:
        with sqlite3.connect(tmp_path / "state.sqlite3") as db:
            (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'state'").fetchone()
            index = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")]
            (expiring,) = db.execute(
                "SELECT count(*) FROM state INDEXED BY state_expires WHERE expires > 0"
            ).fetchone()
        db.close()
        return sql, index, expiring

    sql, index, expiring = table()
    assert "WITHOUT ROWID" not in sql.upper() and "state_expires" in index and expiring == 3
    EmbeddedStore(tmp_path).close()
    assert table()[0] == sql


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


# -- the machine's rate counters ----------------------------------------------------------


def test_counters_of_one_machine_count_every_hit_of_every_worker(tmp_path):
    """Two workers' counters on one folder, four threads each, all counting the same users:
    no hit is lost between a window's first add and the increments racing it."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.state.counters import machine_counters

    workers = [machine_counters(tmp_path), machine_counters(tmp_path)]

    def hit(n: int) -> int:
        return workers[n % 2].incr(f"user/{n % 5}", expiry=60)

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(hit, range(400)))
    assert [workers[0].get(f"user/{u}") for u in range(5)] == [80] * 5
    assert sorted(counts) == sorted(c for c in range(1, 81) for _ in range(5))


def test_a_counter_window_starts_with_its_first_hit_and_ends_after_expiry(tmp_path):
    from bot.state.counters import machine_counters

    counters = machine_counters(tmp_path)
    assert [counters.incr("u", expiry=0.3) for _ in range(3)] == [1, 2, 3]
    assert counters.get_expiry("u") > time.time()
    time.sleep(0.4)
    assert counters.get("u") == 0
    assert counters.incr("u", expiry=0.3) == 1
