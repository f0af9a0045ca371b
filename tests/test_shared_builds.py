"""With Redis, a reload on one machine reaches the others as the build it made: two apps with
their own BOT_DATA_DIR and knowledge folders of their own (two machines) share one real
redis-server. The other machine's folder holds something else, so serving what it holds
would be wrong: it must serve the reloading machine's build, fetched from Redis, or say it
cannot."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from bot.state.builds import KEEP, SharedBuilds
from bot.web import create_app
from knowledge.cache import BuildCache
from tests.conftest import PERSONA_FILE, REPORT
from tests.gunicorn_support import ADMIN_TOKEN, production_settings, start_server
from tests.test_admin_api import ADMIN, AGENDA, AGENDA_QUESTION
from tests.test_e2e_gunicorn import client
from tests.wechat_support import WeChat, webhook_config

OTHER = "# 另一份\n\n这台机器的文件夹里是另一份文件，从未重新加载过。\n"


@pytest.fixture
def url(redis_server) -> str:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()  # each test starts a new deployment
    client.close()
    return redis_server.url


def machine(root: Path, name: str, url: str, **settings):
    """An app with a data folder and a knowledge folder of its own, as a machine has."""
    folder = root / f"sources-{name}"
    if not folder.exists():
        folder.mkdir(parents=True)
        shutil.copy(REPORT, folder)
        shutil.copy(PERSONA_FILE, folder)
    config = webhook_config(root / f"data-{name}", knowledge_dir=folder, redis_url=url, **settings)
    return create_app(config), folder


def health(app) -> dict:
    return app.test_client().get("/healthz").get_json()


def settled(app, deadline: float = 30) -> dict:
    """/healthz once the worker is no longer getting a version (each request syncs)."""
    end = time.monotonic() + deadline
    while True:
        state = health(app)
        if state["status"] != "updating" or time.monotonic() > end:
            return state
        time.sleep(0.1)


def reload(app) -> dict:
    response = app.test_client().post("/admin/reload", headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def replace_folder(folder: Path) -> None:
    """What the other machine's folder holds by now: not what was reloaded."""
    shutil.rmtree(folder)
    folder.mkdir()
    (folder / "other.md").write_text(OTHER, "utf-8")


def test_another_machine_serves_the_reloaded_build_not_its_own_folder(tmp_path, url, caplog):
    caplog.set_level("INFO")
    a, folder_a = machine(tmp_path, "a", url)
    b, folder_b = machine(tmp_path, "b", url)
    assert health(a)["knowledge_version"] == health(b)["knowledge_version"]
    (folder_a / "agenda.md").write_text(AGENDA, "utf-8")
    new = reload(a)["version"]
    replace_folder(folder_b)

    state = settled(b)
    assert state["status"] == "ok", state
    assert state["knowledge_version"] == new
    assert "十点半" in WeChat(b).text(AGENDA_QUESTION).text
    assert "knowledge fetched from the shared store" in caplog.text
    # a machine that starts now, with a folder of its own, serves the same build at once
    c, folder_c = machine(tmp_path, "c", url)
    assert health(c)["knowledge_version"] == new and health(c)["status"] == "ok"
    assert not (folder_c / "agenda.md").exists()


def test_without_a_shared_copy_the_other_machine_says_why_it_is_behind(tmp_path, url, caplog):
    a, folder_a = machine(tmp_path, "a", url, shared_build_mb=0.001)
    b, folder_b = machine(tmp_path, "b", url)
    before = health(b)["knowledge_version"]
    (folder_a / "agenda.md").write_text(AGENDA, "utf-8")
    reload(a)
    assert "knowledge build not shared: larger than BOT_SHARED_BUILD_MB" in caplog.text
    replace_folder(folder_b)

    state = settled(b)
    assert state["status"] == "behind" and state["knowledge_version"] == before, state
    assert "does not hold this build" in state["behind"]
    assert "出处" in WeChat(b).text("杨学山的演讲题目是什么？").text  # still answering
    # a machine that starts now cannot get it either: it says so, rather than "updating"
    c, _ = machine(tmp_path, "c", url)
    assert health(c)["status"] == "behind" and "does not hold this build" in health(c)["behind"]


def test_a_damaged_shared_copy_is_refused_by_its_hash(tmp_path, url):
    a, folder_a = machine(tmp_path, "a", url)
    b, folder_b = machine(tmp_path, "b", url)
    before = health(b)["knowledge_version"]
    (folder_a / "agenda.md").write_text(AGENDA, "utf-8")
    reload(a)
    client = redis.Redis.from_url(url)
    chunks = [k for k in client.keys("forumbot:knowledge:build:*") if k.endswith(b":0")]
    assert chunks
    for key in chunks:
        client.setrange(key, 100, b"damaged")
    replace_folder(folder_b)

    state = settled(b)
    assert state["status"] == "behind" and state["knowledge_version"] == before, state
    assert "does not match its hash" in state["behind"]


def test_a_damaged_shared_copy_is_published_again_by_the_next_reload(tmp_path, url):
    a, folder_a = machine(tmp_path, "a", url)
    b, folder_b = machine(tmp_path, "b", url)
    (folder_a / "agenda.md").write_text(AGENDA, "utf-8")
    wanted = reload(a)["version"]
    client = redis.Redis.from_url(url)
    for key in client.keys("forumbot:knowledge:build:*"):
        if key.endswith(b":0"):
            client.setrange(key, 100, b"damaged")
    replace_folder(folder_b)
    assert settled(b)["status"] == "behind"
    # the same files reloaded: nothing changed here, but the shared copy is made whole
    assert reload(a)["version"] == wanted
    b2, _ = machine(tmp_path, "b", url)  # a worker that starts now fetches it
    state = settled(b2)
    assert state["status"] == "ok" and state["knowledge_version"] == wanted, state


def test_an_unwritable_cache_leaves_a_shared_build_uninstalled_without_raising(
    tmp_path, url, monkeypatch
):
    a, _ = machine(tmp_path, "a", url)
    kb = a.extensions["forumbot"].engine.knowledge
    blob = BuildCache(tmp_path / "data-a" / "knowledge-cache").pack(kb.key)
    assert blob is not None

    def refused(*args, **kwargs):  # what an immutable folder answers, even to root
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("knowledge.cache.tempfile.mkdtemp", refused)
    assert BuildCache(tmp_path / "cache").unpack(kb.key, blob) is None


def test_only_the_stamped_build_and_the_previous_one_are_kept(tmp_path, url):
    a, folder = machine(tmp_path, "a", url)
    for n in range(3):
        (folder / "agenda.md").write_text(AGENDA + f"\n第{n}版。\n", "utf-8")
        reload(a)
    client = redis.Redis.from_url(url)
    kept = [k.decode() for k in client.lrange("forumbot:knowledge:builds", 0, -1)]
    assert len(kept) == KEEP
    described = {
        k.decode().rsplit(":", 1)[1]
        for k in client.keys("forumbot:knowledge:build:*")
        if k.count(b":") == 3
    }
    assert described == set(kept)
    assert kept[0] == a.extensions["forumbot"].engine.knowledge.key  # the stamped one


def test_a_blob_is_installed_only_as_the_build_it_is(tmp_path, url):
    a, _ = machine(tmp_path, "a", url)
    kb = a.extensions["forumbot"].engine.knowledge
    blob = BuildCache(tmp_path / "data-a" / "knowledge-cache").pack(kb.key)
    assert blob is not None
    other = BuildCache(tmp_path / "elsewhere")
    assert other.unpack("0" * 32, blob) is None  # not the build of that key
    assert not (tmp_path / "elsewhere" / ("0" * 32)).exists()
    assert other.unpack(kb.key, blob) is not None
    shared = SharedBuilds(url, 1024**3)
    published = shared.fetch(kb.key)  # by the first start of the bot
    shared.close()
    assert BuildCache(tmp_path / "third").unpack(kb.key, published) is not None


def test_two_gunicorn_machines_serve_the_reloading_ones_build_on_every_worker(tmp_path, url):
    """The same, with the real gunicorn (two workers each) as the two machines."""
    folders = {name: tmp_path / f"sources-{name}" for name in "ab"}
    for folder in folders.values():
        folder.mkdir()
        shutil.copy(REPORT, folder)
        shutil.copy(PERSONA_FILE, folder)
    servers = []
    try:
        for name, folder in folders.items():
            settings = production_settings(BOT_REDIS_URL=url, BOT_KNOWLEDGE_DIR=str(folder))
            servers.append(start_server(tmp_path / f"data-{name}", **settings))
        a, b = servers
        (folders["a"] / "agenda.md").write_text(AGENDA, "utf-8")
        request = urllib.request.Request(
            a.base + "/admin/reload",
            method="POST",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            new = json.load(response)["version"]
        replace_folder(folders["b"])
        end = time.monotonic() + 60
        seen: dict[int, str] = {}
        while time.monotonic() < end and (len(seen) < 2 or set(seen.values()) != {new}):
            with urllib.request.urlopen(b.base + "/healthz", timeout=10) as response:
                state = json.load(response)
            seen[state["pid"]] = state["knowledge_version"]
            time.sleep(0.05)
        assert len(seen) == 2 and set(seen.values()) == {new}, seen
        assert "knowledge fetched from the shared store" in b.output()
        assert "十点半" in client(b, "safe").send_text("oSharedBuild0001", AGENDA_QUESTION).text
    finally:
        for server in servers:
            server.stop()


def test_a_reload_while_redis_does_not_answer_is_refused_and_changes_nothing(
    tmp_path, redis_server
):
    """Stamped only in the local store, a version would reach no other machine and be undone
    here when Redis came back with the old stamp (found by the attack run)."""
    import os
    import signal

    redis.Redis.from_url(redis_server.url).flushdb()
    a, folder = machine(tmp_path, "a", redis_server.url)
    before = health(a)["knowledge_version"]
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        response = a.test_client().post("/admin/reload", headers=ADMIN)
        assert response.status_code == 503, response.get_json()
        assert "Redis" in response.get_json()["error"]
        assert a.extensions["forumbot"].engine.knowledge.version == before
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    a.extensions["forumbot"].store.breaker.cooldown = 0  # Redis answers again
    assert reload(a)["version"] != before


def test_after_redis_loses_the_version_record_the_machines_converge_on_the_newest(
    tmp_path, url, caplog
):
    """FLUSHALL (or a Redis restarted empty) took the stamp: each machine served what it
    had, and /healthz said ok on both. The one serving the newest reload puts it back, with
    its build, even when a machine that knows an older one put its own back first."""
    a, folder_a = machine(tmp_path, "a", url)
    b, folder_b = machine(tmp_path, "b", url)
    before = health(b)["knowledge_version"]
    (folder_a / "agenda.md").write_text(AGENDA, "utf-8")
    new = reload(a)["version"]  # b has not asked since: it serves the older one
    replace_folder(folder_b)  # b can only get the new one from a, through Redis
    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()

    assert health(b)["knowledge_version"] == before  # b puts back what it serves first
    end = time.monotonic() + 30
    while True:
        states = [health(a), settled(b)]
        if {s["knowledge_version"] for s in states} == {new} or time.monotonic() > end:
            break
        time.sleep(0.1)
    assert [(s["status"], s["knowledge_version"]) for s in states] == [("ok", new)] * 2, states
    assert all(s["wanted_version"] == new for s in states)
    assert "十点半" in WeChat(b).text(AGENDA_QUESTION).text
    assert "knowledge version record lost in the shared store: put back" in caplog.text


def test_a_machine_restarted_after_the_record_was_lost_does_not_roll_the_others_back(tmp_path, url):
    """FLUSHALL, then a machine whose folder is older starts before any other has asked:
    its start put back its own folder's version as the newest, and every machine followed
    it. It is put back as by a worker that lost the record, so the newest reload wins."""
    a, folder_a = machine(tmp_path, "a", url)
    machine(tmp_path, "b", url)
    (folder_a / "agenda.md").write_text(AGENDA, "utf-8")
    new = reload(a)["version"]
    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()
    b, _ = machine(tmp_path, "b", url)  # restarted: its folder has no agenda
    end = time.monotonic() + 30
    while True:
        states = [settled(a), settled(b)]
        if {s["knowledge_version"] for s in states} == {new} or time.monotonic() > end:
            break
        time.sleep(0.1)
    assert [(s["status"], s["knowledge_version"]) for s in states] == [("ok", new)] * 2, states


def test_after_redis_loses_its_data_every_machine_knows_a_user_and_a_session_alike(tmp_path, url):
    """The user-hash key and the session key live in Redis: a machine started after a
    FLUSHALL made new ones while the running ones kept theirs, so each machine took one
    user for two (rate limit, retries, follow-ups) and refused the other's sessions."""
    a, _ = machine(tmp_path, "a", url)
    machine(tmp_path, "b", url)
    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()
    b, _ = machine(tmp_path, "b", url)  # restarted: it makes keys of its own
    health(a)  # a's next request sees the record was lost and takes what is there now
    keys = {app.extensions["forumbot"].user_key for app in (a, b)}
    assert len(keys) == 1 and a.secret_key == b.secret_key
    # lost again, nobody restarted: the running machines put their keys back
    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()
    now = a.extensions["forumbot"].user_key
    health(a)
    c, _ = machine(tmp_path, "c", url)  # a machine started after: the running ones' key
    assert c.extensions["forumbot"].user_key == now


def test_a_worker_that_missed_a_reload_says_so_while_redis_is_out(tmp_path, redis_server, url):
    """With the real gunicorn (two workers): one reloads, and Redis stops before the other
    has asked. During the outage that one cannot know it is behind, and said ok; now no
    worker says ok, each says which version it serves, and both serve the new one once
    Redis answers again."""
    import os
    import signal

    from tests.gunicorn_support import versions_by_worker

    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(REPORT, folder)
    shutil.copy(PERSONA_FILE, folder)
    settings = production_settings(BOT_REDIS_URL=url, BOT_KNOWLEDGE_DIR=str(folder))
    server = start_server(tmp_path / "data", **settings)
    try:
        before = set(versions_by_worker(server).values())
        assert len(before) == 1
        (folder / "agenda.md").write_text(AGENDA, "utf-8")
        request = urllib.request.Request(
            server.base + "/admin/reload",
            method="POST",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            new = json.load(response)["version"]
        os.kill(redis_server.process.pid, signal.SIGSTOP)  # before the other worker asks
        try:
            states: dict[int, dict] = {}
            end = time.monotonic() + 60
            while len(states) < 2 and time.monotonic() < end:
                with urllib.request.urlopen(server.base + "/healthz", timeout=10) as response:
                    state = json.load(response)
                states[state["pid"]] = state
            assert len(states) == 2, states
            served = sorted(s["knowledge_version"] for s in states.values())
            assert served == sorted([before.pop(), new]), states  # one missed the reload
            assert {s["status"] for s in states.values()} == {"unknown"}, states
            assert all("Redis" in s["unknown"] for s in states.values())
        finally:
            os.kill(redis_server.process.pid, signal.SIGCONT)
        end = time.monotonic() + 60
        seen: dict[int, tuple[str, str]] = {}
        while time.monotonic() < end and (len(seen) < 2 or set(seen.values()) != {("ok", new)}):
            with urllib.request.urlopen(server.base + "/healthz", timeout=10) as response:
                state = json.load(response)
            seen[state["pid"]] = (state["status"], state["knowledge_version"])
            time.sleep(0.05)
        assert len(seen) == 2 and set(seen.values()) == {("ok", new)}, seen
    finally:
        server.stop()
