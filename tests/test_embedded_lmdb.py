"""The embedded store's per-message state in LMDB, on real files and in real processes: what
a crash, a reboot, a damaged file, a killed or stopped writer, a fork and an upgrade leave of
it, and that the kept keys (the secrets, the revoked sessions) outlive all of them."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.state import EmbeddedStore, StoreUnavailable
from bot.state import embedded as embedded_module
from bot.state.base import Turn, Window, shared_secret
from bot.state.embedded import ENVIRONMENT, LOCK_WAIT, close_before_fork
from bot.state.privacy import USER_KEY, user_hash_key
from bot.web.admin_page import SECRET_KEY

REVOKED = "admin:revoked:0123456789abcdef0123456789abcdef"
CONVERSATION = "conversation:3f2a9c"


@pytest.fixture
def boot(tmp_path, monkeypatch) -> Path:
    """The file the store reads the machine's boot id from: write another id to "reboot"."""
    path = tmp_path / "boot_id"
    path.write_text("boot-one\n")
    monkeypatch.setenv("BOT_BOOT_ID_FILE", str(path))
    return path


def secrets_of(store: EmbeddedStore) -> tuple[str, str, object]:
    return user_hash_key(store), shared_secret(store, SECRET_KEY), store.get(REVOKED)


def set_aside(data: Path) -> list[Path]:
    return sorted(data.glob(f"{ENVIRONMENT}.aside-*"))


def python(code: str, **env: str) -> subprocess.Popen:
    """Another process on the same files, as a second worker would be."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ran(code: str, **env: str) -> str:
    process = python(code, **env)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out


def write_state(data: Path) -> tuple[str, str]:
    """Secrets, a revoked session and a conversation, written by another process."""
    out = ran(
        f"""
        from bot.state import EmbeddedStore
        from bot.state.base import shared_secret
        from bot.state.privacy import user_hash_key
        store = EmbeddedStore({str(data)!r})
        print(user_hash_key(store), shared_secret(store, {SECRET_KEY!r}))
        store.set({REVOKED!r}, 1, ttl=3600)
        store.set({CONVERSATION!r}, {{"asked": "张明是谁"}}, ttl=600)
        store.close()
        """
    )
    user, admin = out.split()
    return user, admin


def test_a_new_boot_sets_the_environment_aside_and_keeps_the_secrets(tmp_path, boot, caplog):
    data = tmp_path / "data"
    user, admin = write_state(data)
    store = EmbeddedStore(data)
    assert store.get(CONVERSATION) == {"asked": "张明是谁"}  # the same boot: all of it
    store.close()
    boot.write_text("boot-two\n")
    with caplog.at_level(logging.WARNING, logger="bot.state.embedded"):
        store = EmbeddedStore(data)
    assert secrets_of(store) == (user, admin, 1)
    assert store.get(CONVERSATION) is None  # the per-message state starts afresh
    assert len(set_aside(data)) == 1
    warnings = [r for r in caplog.records if "set aside" in r.getMessage()]
    assert len(warnings) == 1
    store.close()
    again = EmbeddedStore(data)  # this boot's now: nothing more set aside
    assert secrets_of(again) == (user, admin, 1) and len(set_aside(data)) == 1
    again.close()


@pytest.mark.parametrize("damage", ["cut short", "cut to a tenth", "cut to half", "overwritten"])
def test_a_damaged_data_file_is_set_aside_and_the_secrets_kept(tmp_path, boot, damage):
    data = tmp_path / "data"
    user, admin = write_state(data)
    store = EmbeddedStore(data)
    for n in range(300):  # conversations enough to fill many pages
        store.set(f"conversation:{n}", {"text": "云山数据" * 300}, ttl=600)
    store.close()
    file = data / ENVIRONMENT / "data.mdb"
    size = file.stat().st_size
    assert size > 1_000_000
    if damage.startswith("cut"):
        # some lengths leave pages of zeros where the tree points, which fail one of LMDB's
        # assertions (an abort, not an error) when read
        os.truncate(
            file, {"cut short": size // 3, "cut to a tenth": size // 10}.get(damage, size // 2)
        )
    else:
        with file.open("r+b") as handle:
            handle.write(os.urandom(16384))  # both meta pages and more
    store = EmbeddedStore(data)
    assert secrets_of(store) == (user, admin, 1)
    assert store.get("conversation:1") is None
    assert len(set_aside(data)) == 1
    store.set("after", "写得进", ttl=60)
    assert store.get("after") == "写得进"
    store.close()


def test_a_writer_killed_in_its_transaction_leaves_the_store_usable(tmp_path, boot):
    data = tmp_path / "data"
    store = EmbeddedStore(data)
    store.set("before", 1, ttl=600)
    writer = python(
        f"""
        import time
        from bot.state import EmbeddedStore
        from bot.state.embedded import _put
        store = EmbeddedStore({str(data)!r})
        with store._writing() as (txn, handle):
            _put(txn, handle, "half", '"written"', None, False)
            print("writing", flush=True)
            time.sleep(60)
        """
    )
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    writer.send_signal(signal.SIGKILL)
    writer.communicate()
    started = time.monotonic()
    store.set("after", 2, ttl=600)  # the lock file's lock and LMDB's went with the process
    assert time.monotonic() - started < LOCK_WAIT
    assert store.get("half") is None and store.get("before") == 1 and store.get("after") == 2
    assert (
        ran(
            f"""
        from bot.state import EmbeddedStore
        store = EmbeddedStore({str(data)!r})
        print(store.count("rate:u", __import__("bot.state.base").state.base.Window(5, 60)))
        """
        ).strip()
        == "1"
    )
    assert store.check() is None
    store.close()


def test_a_stopped_writer_costs_the_others_at_most_the_lock_wait(tmp_path, boot):
    """A process stopped (SIGSTOP) inside LMDB's write transaction holds LMDB's writer lock,
    on which LMDB would wait for ever: the lock file in front of it makes the others give
    up after LOCK_WAIT, and go on once it is let go."""
    data = tmp_path / "data"
    store = EmbeddedStore(data)
    writer = python(
        f"""
        import os, signal
        from bot.state import EmbeddedStore
        store = EmbeddedStore({str(data)!r})
        with store._writing() as (txn, handle):
            print("writing", flush=True)
            os.kill(os.getpid(), signal.SIGSTOP)
        store.close()
        """
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.set("k", 1, ttl=60)
        assert time.monotonic() - started < LOCK_WAIT + 2
        assert "locked" in (store.check() or "")
    finally:
        writer.send_signal(signal.SIGCONT)
        writer.communicate(timeout=30)
    store.set("k", 1, ttl=60)
    assert store.get("k") == 1 and store.check() is None
    store.close()


@pytest.mark.parametrize("closed", [True, False], ids=["closed-before-fork", "left-open"])
def test_forked_processes_each_open_their_own_environment(tmp_path, boot, closed):
    """As gunicorn's workers: the parent opened the store and used it, then forked. Each child
    counts with its own environment; the parent's goes on working, and every hit counts."""
    data = tmp_path / "data"
    store = EmbeddedStore(data)
    window = Window(limit=1000, seconds=600)
    store.count("rate:shared", window)
    parent = store._env
    if closed:
        close_before_fork()  # what gunicorn.conf.py's pre_fork does
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports by its exit status
            status = 1
            try:
                for _ in range(40):
                    store.count("rate:shared", window)
                mine = store._env
                status = (
                    0 if mine is not None and mine is not parent and mine.pid == os.getpid() else 2
                )
            finally:
                os._exit(status)
        children.append(pid)
    for _ in range(10):
        store.count("rate:shared", window)
    for pid in children:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert store.count("rate:shared", window) == 1 + 120 + 10 + 1
    assert (
        ran(
            f"""
        from bot.state import EmbeddedStore
        print(EmbeddedStore({str(data)!r}).get("rate:shared"))
        """
        ).strip()
        == "132"
    )
    store.close()


def test_the_cull_keeps_the_environment_bounded(tmp_path, boot):
    """Messages whose rows expire at once, in rounds: each finish deletes a few expired rows,
    so the rows and the file stay at what one round leaves."""
    store = EmbeddedStore(tmp_path / "data")
    sizes, entries = [], []
    for round_ in range(4):
        for n in range(600):
            turn = Turn(
                claim=f"msg:{round_}:{n}",
                claim_ttl=0.05,
                context=f"conversation:{n % 20}",
                stamp="knowledge:stamp",
                signed=(f"signed:{round_}:{n}", "digest", 0.05),
                rate=(f"rate:{n % 20}", Window(limit=100, seconds=0.05)),
            )
            store.begin(turn, {"pending": True})
            store.finish(turn, {"text": "答" * 200}, 0.05, {"asked": "问" * 400}, 0.05)
        time.sleep(0.1)
        with store._reading() as (txn, handle):
            entries.append(txn.stat(handle.rows)["entries"])
        sizes.append((tmp_path / "data" / ENVIRONMENT / "data.mdb").stat().st_size)
    # a round writes 1,240 rows (600 claims, 600 signed URLs, 20 conversations, 20 counters)
    assert max(entries) < 1300, entries
    assert entries[-1] <= entries[0] + 200, entries
    assert sizes[-1] <= sizes[0] * 1.5, sizes
    store.close()


def test_an_upgrade_from_the_sqlite_store_keeps_the_secrets_and_revoked_sessions(tmp_path, boot):
    """The state file the SQLite store kept every row in (the table as it made it): the
    secrets and the revoked session stay in it and are read through the new store; the app
    started on it hashes users and signs sessions with the same keys."""
    from bot.web import create_app
    from bot.web.services import KEY
    from tests.wechat_support import webhook_config

    data = tmp_path / "data"
    data.mkdir()
    later = time.time() + 3600
    with sqlite3.connect(data / "state.sqlite3") as db:
        db.executescript(embedded_module.SCHEMA)
        db.executemany(
            "INSERT INTO state VALUES (?, ?, ?)",
            [
                (USER_KEY, json.dumps("the-old-user-key"), None),
                (SECRET_KEY, json.dumps("the-old-cookie-key"), None),
                ("knowledge:stamp", json.dumps({"version": "v0"}), None),
                (REVOKED, "1", later),
                ("rate:u", "3", later),
                ("probe", "null", 0),
            ],
        )
    db.close()
    app = create_app(webhook_config(data))
    services = app.extensions[KEY]
    assert services.secrets["user"] == "the-old-user-key"
    assert app.secret_key == "the-old-cookie-key"
    assert services.store.get(REVOKED) == 1
    services.close()
    with sqlite3.connect(data / "state.sqlite3") as db:
        kept = dict(db.execute("SELECT key, value FROM state WHERE key != 'probe'").fetchall())
    db.close()
    assert kept[USER_KEY] == json.dumps("the-old-user-key") and kept[REVOKED] == "1"
    assert (data / ENVIRONMENT).is_dir()


def test_the_kept_keys_go_to_sqlite_and_the_rest_does_not(tmp_path, boot):
    data = tmp_path / "data"
    store = EmbeddedStore(data)
    store.set("knowledge:stamp", {"version": "v1"})
    store.set(REVOKED, 1, ttl=3600)
    store.set(CONVERSATION, {"asked": "李华"}, ttl=600)
    store.set("was-kept", "x")
    store.set("was-kept", "y", ttl=600)  # now it expires: out of SQLite
    store.close()

    def in_sqlite() -> set[str]:
        with sqlite3.connect(data / "state.sqlite3") as db:
            keys = {key for (key,) in db.execute("SELECT key FROM state WHERE key != 'probe'")}
        db.close()
        return keys

    assert in_sqlite() == {"knowledge:stamp", REVOKED}
    store = EmbeddedStore(data)
    store.delete("knowledge:stamp")
    assert in_sqlite() == {REVOKED}
    store.close()


def test_a_data_file_short_only_of_pages_never_written_is_not_set_aside(tmp_path, boot):
    """A transaction that takes pages and frees them (a value written and deleted): LMDB
    counts them, never writes them, and the file ends before its last page. Another process
    opening it must not take that for a file cut short (it would set aside what the others
    use)."""
    data = tmp_path / "data"
    user, admin = write_state(data)
    store = EmbeddedStore(data)
    with store._writing() as (txn, handle):
        txn.put(b"scratch", bytes(65536), db=handle.meta)
        txn.delete(b"scratch", db=handle.meta)
    with store._reading() as (_, handle):
        pages = handle.env.info()["last_pgno"] + 1
        psize = handle.env.stat()["psize"]
    assert (data / ENVIRONMENT / "data.mdb").stat().st_size < pages * psize
    store.close()  # alone, the next process reads it through (with the others, it need not)
    assert (
        ran(
            f"""
        from bot.state import EmbeddedStore
        print(EmbeddedStore({str(data)!r}).get({CONVERSATION!r}))
        """
        ).strip()
        == "{'asked': '张明是谁'}"
    )
    store = EmbeddedStore(data)
    assert set_aside(data) == [] and secrets_of(store) == (user, admin, 1)
    store.close()


def test_healthz_says_when_the_map_is_full(tmp_path, boot):
    store = EmbeddedStore(tmp_path / "data", map_size=4 * 1024 * 1024)
    assert store.check() is None
    with pytest.raises(StoreUnavailable, match="full"):  # refused with room kept to delete
        for n in range(1000):
            store.set(f"conversation:{n}", {"text": "问" * 2000}, ttl=600)
    assert "full" in (store.check() or "")
    store.close()


@pytest.mark.parametrize("size", [100, 500, 2000])  # small rows: deleting them takes pages
def test_a_full_map_comes_back_as_its_rows_expire(tmp_path, boot, size):
    store = EmbeddedStore(tmp_path / "data", map_size=4 * 1024 * 1024)
    store.set("secret", "kept")  # no expiry: in SQLite too, never culled
    with pytest.raises(StoreUnavailable, match="full"):
        for n in range(100_000):
            store.set(f"conversation:{n}", {"text": "问" * (size // 3)}, ttl=1)
    time.sleep(1.2)
    store.set("conversation:new", {"text": "问" * 2000}, ttl=600)  # the expired ones culled
    assert store.check() is None
    assert store.get("secret") == "kept" and store.get("conversation:0") is None
    store.close()


def test_an_environment_other_processes_have_open_is_never_set_aside(tmp_path, boot):
    data = tmp_path / "data"
    user, admin = write_state(data)
    worker = python(
        f"""
        import time
        from bot.state import EmbeddedStore
        store = EmbeddedStore({str(data)!r})
        store.set("from-the-worker", 1, ttl=600)
        print("open", flush=True)
        time.sleep(60)  # killed before
        """
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == "open"
    # the boot file says another boot (as a clock-based id might): a process of this boot
    # has the environment open, so it is this boot's, and set aside it would split the state
    boot.write_text("boot-two\n")
    store = EmbeddedStore(data)
    assert store.get("from-the-worker") == 1 and secrets_of(store) == (user, admin, 1)
    assert set_aside(data) == []
    store.close()
    worker.kill()
    worker.communicate()


def test_a_symlink_to_the_data_folder_opens_the_same_environment(tmp_path, boot):
    data = tmp_path / "data"
    first = EmbeddedStore(data)
    first.set("conversation:1", "甲", ttl=600)
    link = tmp_path / "link"
    link.symlink_to(data)
    second = EmbeddedStore(link)
    assert second.get("conversation:1") == "甲" and set_aside(data) == []
    second.close()
    first.close()
