"""The console shows exactly what WeChat would show, follow-ups included."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

from bot.config import PROJECT_ROOT


def chat(lines: str, tmp_path) -> str:
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_question_then_its_citation_number(tmp_path):
    out = chat("论坛在哪里举行？\n1\n/quit\n", tmp_path)
    answer, passage = out.split("> ")[1:3]
    assert "出处" in answer
    assert passage.startswith("[1] ")


def test_help_and_end_of_input(tmp_path):
    out = chat("/help\n", tmp_path)
    assert "/quit" in out  # the help lists the commands; end of input leaves cleanly


def test_a_terminal_session_has_a_prompt_and_leaves_on_ctrl_d(tmp_path):
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console on a real terminal
        os.chdir(PROJECT_ROOT)
        os.environ["BOT_DATA_DIR"] = str(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "bot", "chat"])
    seen = b""
    deadline = time.monotonic() + 60
    sent = False
    # poll, not select: select() cannot watch a descriptor numbered 1024 or more, which a
    # long test session (apps, browsers, servers) reaches
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while time.monotonic() < deadline:
        ready = poller.poll(500)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not sent and b">" in seen:
            os.write(fd, b"\x04")  # Ctrl-D at the prompt
            sent = True
    _, status = os.waitpid(pid, 0)
    assert sent, seen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0
