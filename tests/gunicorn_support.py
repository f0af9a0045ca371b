"""A real gunicorn for end-to-end tests, started as ``make run`` starts it (gunicorn.conf.py,
wsgi:app) on a free port, with the settings a test gives it."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

STARTUP_DEADLINE = 120  # seconds; generous for a slow CI machine, normally ~2 s


def make_run_command() -> list[str]:
    """The command of the Makefile's ``run`` target, with its venv's gunicorn taken from the
    interpreter running the tests."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no run target"
    command = shlex.split(recipe.group(1))
    assert command[0].endswith("/bin/gunicorn"), command
    return [sys.executable, "-m", "gunicorn", *command[1:]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "WECHAT_", "GUNICORN_")) and k != "WEB_CONCURRENCY"
    }
    env |= {"HOST": "127.0.0.1", "PORT": str(port), "BOT_DATA_DIR": str(data_dir)}
    env |= settings
    return env


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM (a graceful stop), then SIGKILL if it does not end in time."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(data_dir: Path, **settings: str) -> Server:
    """gunicorn with BOT_DATA_DIR=data_dir and ``settings`` in its environment, healthy."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = server_env(data_dir, port, **settings)
    log = data_dir / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            make_run_command(), cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until_healthy(server)
    except BaseException:
        server.stop(timeout=5)
        raise
    return server


@contextmanager
def running_server(data_dir: Path, **settings: str) -> Iterator[Server]:
    server = start_server(data_dir, **settings)
    try:
        yield server
    finally:
        server.stop()


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn was not healthy within {STARTUP_DEADLINE} s:\n{server.output()}")
