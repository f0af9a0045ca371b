"""End to end with the real gunicorn and two workers: a reload through the CLI reaches
both workers, and a graceful stop keeps every question in the query log."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

from bot.config import PROJECT_ROOT
from bot.wechat.client import WeChatClient
from tests.gunicorn_support import ADMIN_TOKEN, versions_by_worker
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
