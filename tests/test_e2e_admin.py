"""End to end with the real gunicorn and two workers: a reload through the CLI reaches
both workers, a graceful stop keeps every question in the query log, and a burst of wrong
admin tokens on every thread of both workers gets no more tries than the throttle allows."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.config import PROJECT_ROOT
from bot.web.throttle import FAILED_ADMIN_AUTH
from bot.wechat.client import WeChatClient
from tests.gunicorn_support import ADMIN_TOKEN, health, running_server, versions_by_worker
from tests.wechat_support import TOKEN

AGENDA = "# 议程\n\n论坛茶歇安排在上午十点半，地点是二层咖啡厅。\n"


def cli_reload(server, token: str = ADMIN_TOKEN) -> subprocess.CompletedProcess:
    """``python -m bot reload --url``, as an admin runs it from another shell."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "reload", "--url", server.base],
        cwd=PROJECT_ROOT,
        env={"BOT_ADMIN_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_cli_reload_reaches_every_worker(server):
    before = versions_by_worker(server)
    assert len(before) == 2, "both workers should have answered"
    (server.folder / "agenda.md").write_text(AGENDA, "utf-8")
    result = cli_reload(server)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: reloaded, version ")
    new = result.stdout.split("version ")[1].split(",")[0]
    after = versions_by_worker(server)
    assert set(after.values()) == {new} and len(after) == 2
    wechat = WeChatClient(server.webhook, TOKEN)
    for n in range(10):
        assert "十点半" in wechat.send_text(f"oE2eAdmin{n:020d}", "茶歇安排在几点？").text


def test_a_refused_cli_reload_names_the_file_and_fails(server):
    (server.folder / "broken.txt").write_bytes(b"\x00\x01binary")
    result = cli_reload(server)
    assert result.returncode == 1
    assert "422" in result.stderr and "broken.txt" in result.stderr
    wrong = cli_reload(server, token="wrong")
    assert wrong.returncode == 1 and "401" in wrong.stderr


def test_sigterm_keeps_every_answered_question_in_the_log(server):
    wechat = WeChatClient(server.webhook, TOKEN)
    asked = 0
    for n in range(30):
        reply = wechat.send_text(f"oE2eLog{n:022d}", "杨学山的演讲题目是什么？")
        assert "出处" in reply.text
        asked += 1
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    with sqlite3.connect(server.data_dir / "queries.sqlite3") as db:
        logged = db.execute("SELECT COUNT(*) FROM questions WHERE answered").fetchone()[0]
    assert logged == asked


def test_a_burst_of_wrong_tokens_gets_no_more_checks_than_the_limit(server):
    """Simultaneous guesses on both workers' threads: each is counted before its token is
    checked, so at most the throttle's limit are answered 401 and the rest 429, while the
    right token still gets in (a lockout must not lock the admin out). Every connection is
    open before any request is sent, so the requests arrive together."""
    guesses = 48
    host, port = server.base.removeprefix("http://").split(":")
    connections = [socket.create_connection((host, int(port)), timeout=30) for _ in range(guesses)]
    start = threading.Barrier(guesses)

    def guess(n: int) -> int:
        request = (
            f"GET /admin/stats HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer guess-{n}\r\nConnection: close\r\n\r\n"
        )
        # the reader closed too: a socket closed under an open reader is left open
        with connections[n] as connection, connection.makefile("rb") as reader:
            start.wait(timeout=30)
            connection.sendall(request.encode())
            return int(reader.readline().split()[1])

    with ThreadPoolExecutor(guesses) as pool:
        statuses = list(pool.map(guess, range(guesses)))
    limit = FAILED_ADMIN_AUTH.amount
    assert statuses.count(401) <= limit, statuses
    assert statuses.count(401) + statuses.count(429) == guesses, statuses
    wrong = urllib.request.Request(
        server.base + "/admin/stats", headers={"Authorization": "Bearer guess-again"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:  # the address is locked out now
        urllib.request.urlopen(wrong, timeout=30)
    refused.value.close()
    assert refused.value.code == 429
    # … for guesses, not for the admin: the right (long) token still gets in, on each worker
    right = urllib.request.Request(
        server.base + "/admin/stats", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    for _ in range(6):
        with urllib.request.urlopen(right, timeout=30) as response:
            assert response.status == 200


def test_a_build_killed_mid_way_shows_as_interrupted_in_the_reload_history(tmp_path, folder):
    """The worker building a reload is SIGKILLed (as gunicorn's timeout or an OOM kill
    would): the history, on /admin/stats and the admin page, says the build was
    interrupted, instead of showing nothing."""
    from bench.knowledge import write_folder

    settings = dict(
        WEB_CONCURRENCY="2",
        WECHAT_TOKEN=TOKEN,
        BOT_ADMIN_TOKEN=ADMIN_TOKEN,
        BOT_KNOWLEDGE_DIR=str(folder),
        BOT_RELOAD_WAIT="0.2",
    )
    with running_server(tmp_path / "data", **settings) as server:
        write_folder(folder, 20_000)  # seconds to build: the kill lands mid-way
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        request = urllib.request.Request(
            server.base + "/admin/reload", method="POST", headers=admin
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 202
        # the idle worker may take every request for a while: ask until the building one
        # answers, for as long as the build lasts at most
        building = None
        deadline = time.monotonic() + 30
        while building is None and time.monotonic() < deadline:
            with ThreadPoolExecutor(4) as pool:
                for state in pool.map(lambda _: health(server), range(8)):
                    building = building or (state["pid"] if state["building"] else None)
        assert building is not None, "no worker said it was building"
        os.kill(building, signal.SIGKILL)
        stats = urllib.request.Request(server.base + "/admin/stats", headers=admin)
        deadline = time.monotonic() + 30  # until gunicorn's master has reaped the killed one
        while True:
            with urllib.request.urlopen(stats, timeout=30) as response:
                history = json.load(response)["reloads"]
            if history[0]["state"] != "building" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert history[0]["state"] == "interrupted", history
        assert "did not finish" in history[0]["error"]
        assert health(server)["status"] == "ok"  # the previous knowledge kept serving


def _admin_browser(server) -> urllib.request.OpenerDirector:
    """A cookie-keeping client logged in to the admin page, as a browser would be."""
    import http.cookiejar

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(server.base + "/admin/login", timeout=30).read().decode()
    login = urllib.parse.urlencode({"csrf_token": _csrf(page), "token": ADMIN_TOKEN}).encode()
    opener.open(server.base + "/admin/login", data=login, timeout=30).read()
    return opener


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_long_hit_test_question_is_answered_by_the_real_gunicorn(server):
    """500 Chinese characters (the hit test's limit) are 4,500 bytes in a URL: gunicorn
    answered 414 from about 450. The form POSTs them, and a GET link of that length (from
    the Unanswered page) passes too."""
    browser = _admin_browser(server)
    question = ("论坛在哪里举行" * 80)[:500]
    form = browser.open(server.base + "/admin/hit-test", timeout=30).read().decode()
    assert 'method="post"' in form
    data = urllib.parse.urlencode({"csrf_token": _csrf(form), "q": question}).encode()
    with browser.open(server.base + "/admin/hit-test", data=data, timeout=30) as response:
        assert response.status == 200
        assert 'id="reply"' in response.read().decode()
    link = server.base + "/admin/hit-test?" + urllib.parse.urlencode({"q": question})
    with browser.open(link, timeout=30) as response:
        assert response.status == 200
    missing_token = urllib.parse.urlencode({"q": question}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:  # a POST without CSRF is refused
        browser.open(server.base + "/admin/hit-test", data=missing_token, timeout=30)
    refused.value.close()
    assert refused.value.code == 400


def _reload_on_another_worker(server, stopped: int) -> str:
    """A reload sent while worker ``stopped`` is held by SIGSTOP, so the other one gets it."""
    os.kill(stopped, signal.SIGSTOP)
    try:
        request = urllib.request.Request(
            server.base + "/admin/reload",
            method="POST",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["version"]
    finally:
        os.kill(stopped, signal.SIGCONT)


def _state_of(server, pid: int, deadline: float = 60) -> dict:
    """/healthz from worker ``pid`` (requests go to whichever worker takes them)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        state = health(server)
        if state["pid"] == pid:
            return state
    raise AssertionError(f"worker {pid} did not answer /healthz in {deadline} s")


def test_a_new_reload_is_followed_at_once_by_a_worker_waiting_to_retry_an_old_one(server):
    """A worker that could not get a reload's build waits 30 s before it tries that build
    again; a newer reload must not wait for that: its stamp is tried at once."""
    from bot.chat.engine import RETRY_AFTER, STAMP_KEY
    from bot.state import EmbeddedStore

    versions_by_worker(server)
    behind = server.workers()[1]
    (server.folder / "agenda.md").write_text(AGENDA, "utf-8")
    wanted = _reload_on_another_worker(server, behind)
    store = EmbeddedStore(server.data_dir)
    stamp = store.get(STAMP_KEY)
    store.close()
    assert stamp["version"] == wanted
    # the build is gone from the cache and the folder holds something else by now
    shutil.rmtree(server.data_dir / "knowledge-cache" / stamp["key"])
    (server.folder / "late.md").write_text("# 迟到\n\n这份文件没有重新加载过。\n", "utf-8")
    end = time.monotonic() + 60
    while (state := _state_of(server, behind))["status"] != "behind":
        assert time.monotonic() < end, state
        time.sleep(0.1)
    failed_at = time.monotonic()
    (server.folder / "late.md").unlink()
    (server.folder / "agenda.md").write_text(AGENDA + "\n第二版。\n", "utf-8")
    newer = _reload_on_another_worker(server, behind)
    while (state := _state_of(server, behind))["knowledge_version"] != newer:
        assert time.monotonic() - failed_at < RETRY_AFTER - 5, state  # not the back-off's end
        time.sleep(0.1)
    assert state["status"] == "ok", state


def _admin_cookie(server) -> str:
    browser = _admin_browser(server)
    return "; ".join(
        f"{c.name}={c.value}"
        for handler in browser.handlers
        if isinstance(handler, urllib.request.HTTPCookieProcessor)
        for c in handler.cookiejar
    )


def _raw_post(server, path: str, headers: str, body: bytes) -> tuple[bytes, dict, bytes]:
    """POST over a bare socket, the body sent while the answer may already come, as a client
    does: the status code, the headers, and what the connection gives after the answer's
    own body until it closes (nothing, when it closes as it says)."""
    host, port = server.base.removeprefix("http://").split(":")
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head.encode())

        def send_body() -> None:
            with contextlib.suppress(OSError):  # the server may close first
                connection.sendall(body)

        sender = threading.Thread(target=send_body)
        sender.start()
        with connection.makefile("rb") as reader:
            status = reader.readline().split()[1]
            answer = {}
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                answer[name.strip().lower()] = value.strip()
            reader.read(int(answer.get("content-length", 0)))
            after = reader.read()
        sender.join(timeout=30)
    return status, answer, after


def test_a_hit_test_too_large_says_it_closes_the_connection_and_does(server):
    """The admin hit test refuses a body over the limit (413) without reading it; gunicorn
    answered ``Connection: keep-alive``, then closed the connection all the same, so a
    client's next request on it was lost. The answer now says close, and closes."""
    body = b"q=" + b"x" * (2 * 1024 * 1024)
    status, headers, after = _raw_post(
        server,
        "/admin/hit-test",
        f"Cookie: {_admin_cookie(server)}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n",
        body,
    )
    assert status == b"413", status
    assert headers["connection"] == "close", headers
    assert after == b""  # and closed: nothing more comes
    host, port = server.base.removeprefix("http://").split(":")
    assert http_get_twice(host, int(port)) == [
        200,
        200,
    ]  # a connection without a refused body stays open


def http_get_twice(host: str, port: int) -> list[int]:
    """Two requests on one kept-alive connection."""
    import http.client

    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        statuses = []
        for _ in range(2):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.getheader("Connection") == "keep-alive"
            statuses.append(response.status)
        return statuses
    finally:
        connection.close()


def test_a_refused_large_body_says_it_closes_the_connection(server):
    """A 403 (no signature) of 200 KB posted to /wechat: the body is not read, so the
    connection closes and the answer says so, as for a 413."""
    body = b"<xml>" + b"x" * (200 * 1024) + b"</xml>"
    status, headers, _ = _raw_post(
        server, "/wechat", f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n", body
    )
    assert status in (b"400", b"403"), status
    assert headers["connection"] == "close", headers


def test_a_chunked_form_too_large_is_refused_not_read_cut(server):
    """A chunked body has no Content-Length for Werkzeug to refuse: it cut one at the limit
    and the hit test answered 200 on what was left. Now 413, as with a length."""
    body = b"q=" + b"x" * (2 * 1024 * 1024)
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 65536]), body[i : i + 65536])
        for i in range(0, len(body), 65536)
    )
    status, _, _ = _raw_post(
        server,
        "/admin/hit-test",
        f"Cookie: {_admin_cookie(server)}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n",
        chunks + b"0\r\n\r\n",
    )
    assert status == b"413", status
