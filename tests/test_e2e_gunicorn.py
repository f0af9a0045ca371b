"""End to end: the real gunicorn, started as ``make run`` starts it (gunicorn.conf.py,
wsgi:app, two workers, production settings), on a free port, spoken to over HTTP as WeChat
speaks to it, then stopped with SIGTERM."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from wechatpy.replies import TextReply

from bot.chat.conversation import show_passage
from bot.config import PROJECT_ROOT
from bot.wechat.client import WeChatClient, render_message, sign
from bot.wechat.limits import MAX_REPLY_BYTES
from tests.gunicorn_support import (
    Server,
    clean_env,
    free_port,
    make_run_command,
    production_settings,
    start_server,
)
from tests.wechat_support import AES_KEY, APPID, TOKEN

OPENID = "oE2eUser1a2b3c4d5e6f7g8h9i0jk"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("gunicorn-data"), **production_settings())
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def client(server: Server, mode: str) -> WeChatClient:
    return WeChatClient(server.webhook, TOKEN, aes_key=AES_KEY, appid=APPID, mode=mode)


def test_healthz_reports_the_loaded_knowledge(server, engine):
    with urllib.request.urlopen(server.base + "/healthz") as response:
        health = json.load(response)
    assert health["status"] == "ok"
    assert health["knowledge_version"] == engine.knowledge.version
    assert health["passages"] == len(engine.knowledge.passages)
    assert health["uptime_s"] >= 0


def hold(server: Server, count: int, stall_every: int) -> list[socket.socket]:
    """The slow-client script: ``count`` connections to gunicorn itself, every
    ``stall_every``-th of them stopping in the middle of its headers, the others idle."""
    port = int(server.base.rsplit(":", 1)[1])
    held = []
    for n in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        if n % stall_every == stall_every - 1:
            conn.sendall(b"POST /wechat HTTP/1.1\r\nHost: x\r\nContent-Length: 10")
        held.append(conn)
    return held


def answered_within(server: Server, seconds: float) -> None:
    started = time.monotonic()
    with urllib.request.urlopen(server.base + "/healthz", timeout=20) as response:
        assert response.status == 200
    assert time.monotonic() - started < seconds


def test_slow_and_idle_clients_straight_to_gunicorn_do_not_hold_every_worker(server):
    """More idle connections, and connections that stop in the middle of their headers,
    than there are workers: a normal request still gets through at once."""
    held = hold(server, 10, stall_every=2)
    try:
        answered_within(server, 5)
    finally:
        for conn in held:
            conn.close()


def test_clients_that_stall_mid_request_lose_their_connection_not_the_bot(tmp_path):
    """More stalled clients than threads: each holds a thread for WEB_READ_TIMEOUT at most,
    then the server drops it, and a normal request gets through."""
    settings = {**production_settings(), "WEB_THREADS": "4", "WEB_READ_TIMEOUT": "2"}
    server = start_server(tmp_path, **settings)
    held: list[socket.socket] = []
    try:
        held = hold(server, 12, stall_every=1)  # 2 workers × 4 threads taken, and more
        answered_within(server, 10)
        time.sleep(3)
        dropped = 0
        for conn in held:
            conn.settimeout(2)
            try:
                dropped += conn.recv(1) == b""
            except OSError:
                dropped += 1
        assert dropped == len(held)
        assert "Traceback" not in server.output()
    finally:
        for conn in held:
            conn.close()
        server.stop()


def test_server_verification_echoes_echostr(server):
    timestamp, nonce = str(int(time.time())), "42"
    query = f"signature={sign(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
    with urllib.request.urlopen(f"{server.base}/wechat?{query}&echostr=hello-wechat") as response:
        assert response.read() == b"hello-wechat"


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_a_question_is_answered_in_every_mode(server, engine, mode):
    exchange = client(server, mode).send_text(OPENID, "论坛在哪里举行？")
    assert exchange.status == 200
    assert isinstance(exchange.reply, TextReply)
    assert exchange.reply.target == OPENID
    assert exchange.text == engine.ask("论坛在哪里举行？").text
    assert len(exchange.text.encode("utf-8")) <= MAX_REPLY_BYTES


def test_follow_ups_and_retries_are_consistent_whichever_worker_answers(server, engine):
    wechat = client(server, "safe")
    openid = OPENID + "-followup"
    wechat.send_text(openid, "论坛在哪里举行？")
    first = engine.ask("论坛在哪里举行？").citations[0]
    expected = show_passage(1, first.passage.citation(), first.passage.text)
    # Each request is a new connection, so either worker may take it.
    for _ in range(6):
        assert wechat.send_text(openid, "1").text == expected
    msg_id = wechat.next_msg_id()
    replies = {wechat.send_text(openid, "1", msg_id=msg_id).text for _ in range(4)}
    assert replies == {expected}


def test_events_and_other_types(server):
    wechat = client(server, "safe")
    welcome = wechat.post(render_message("event", source=OPENID, event="subscribe"), openid=OPENID)
    assert "论坛" in welcome.text
    view = wechat.post(
        render_message("event", source=OPENID, event="view", url="https://example.org"),
        openid=OPENID,
    )
    assert (view.status, view.body, view.text) == (200, b"success", None)
    image = wechat.post(
        render_message("image", source=OPENID, msg_id=wechat.next_msg_id(), media_id="m"),
        openid=OPENID,
    )
    assert image.status == 200 and "文字" in image.text


def test_forged_and_malformed_requests_are_refused(server):
    wechat = client(server, "plain")
    xml = render_message("text", source=OPENID, msg_id=wechat.next_msg_id(), content="hi")
    forged = WeChatClient(server.webhook, "not-the-token").post(xml, openid=OPENID)
    assert forged.status == 403
    malformed = wechat.post("<xml><MsgType>text", openid=OPENID)
    assert (malformed.status, malformed.body) == (400, b"400 Bad Request: malformed XML\n")


def signed_path() -> str:
    timestamp, nonce = str(int(time.time())), "7"
    return f"/wechat?signature={sign(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"


def connect(server: Server) -> http.client.HTTPConnection:
    host, port = server.base.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=30)


def test_a_body_over_one_mebibyte_is_refused_with_413_before_it_is_read(server):
    connection = connect(server)
    try:  # announce 1 MiB + 1 and wait: the server must answer without reading any of it
        connection.putrequest("POST", signed_path())
        connection.putheader("Content-Type", "text/xml")
        connection.putheader("Content-Length", str(1024 * 1024 + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert response.read() == b"413 Request Entity Too Large: request body too large\n"
    finally:
        connection.close()


def test_a_chunked_body_over_one_mebibyte_is_refused_with_413(server):
    connection = connect(server)
    try:  # an iterable body without Content-Length goes chunked
        chunks = iter([b"<xml>", *[b"x" * 65536] * 17])  # 1.06 MiB
        connection.request("POST", signed_path(), body=chunks, encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 413
        assert response.read() == b"413 Request Entity Too Large: request body too large\n"
    finally:
        connection.close()


def test_a_body_with_broken_chunked_framing_is_a_bad_request(server):
    connection = connect(server)
    try:  # claims to be chunked, but "zz" is no chunk size
        headers = {"Transfer-Encoding": "chunked"}
        connection.request(
            "POST", signed_path(), body=b"zz\r\n<xml/>\r\n0\r\n\r\n", headers=headers
        )
        response = connection.getresponse()
        assert (response.status, response.read()) == (
            400,
            b"400 Bad Request: unreadable request body\n",
        )
    finally:
        connection.close()


def test_sigterm_stops_the_server_and_the_logs_keep_no_openid(server):
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    output = server.output()
    assert "POST /wechat HTTP/1.1" in output  # the access log is on
    assert OPENID not in output
    assert "openid=" not in output and "signature=" not in output
    messages = [json.loads(line) for line in output.splitlines() if '"wechat message"' in line]
    assert messages, output
    assert all(set(m) >= {"type", "answered", "top_score", "latency_ms", "user"} for m in messages)
    assert "Traceback" not in output


def test_production_refuses_to_start_without_its_secrets(tmp_path):
    env = clean_env(
        HOST="127.0.0.1", PORT=str(free_port()), BOT_DATA_DIR=str(tmp_path), BOT_ENV="production"
    )
    result = subprocess.run(
        make_run_command(), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "needs WECHAT_TOKEN and BOT_ADMIN_TOKEN" in result.stdout + result.stderr
