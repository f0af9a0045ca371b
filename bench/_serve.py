"""The real servers the benches and the end-to-end tests run, written once for both.

gunicorn is started with the command of the Makefile's ``run`` target (its config file,
worker count and settings), for any app: the benches load the real app (``wsgi:app``) and
the floor app (``bench.floor:app``) the very same way, so the only difference is the app.
redis-server is started on a free port with persistence off, and can be stopped and started
again on that port to play an outage. tests/gunicorn_support.py and tests/redis_support.py
turn the errors below into pytest's skips and failures.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
APP = "wsgi:app"
TOKEN = "bench-webhook-token"
# What every bench server runs with: a known token to sign with, and the per-message log
# lines on, since Server.messages() counts them.
BENCH_SETTINGS = {"WECHAT_TOKEN": TOKEN, "LOG_LEVEL": "info"}
DEFAULT_WORKERS = 2  # gunicorn.conf.py's, when WEB_CONCURRENCY is not set
REDIS_START_S = 10.0  # seconds a starting redis-server has to accept connections


class NotInstalled(RuntimeError):
    """An executable a server needs is missing: callers skip, with this message."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any bot or gunicorn setting, plus ``settings``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "WECHAT_", "GUNICORN_")) and k != "WEB_CONCURRENCY"
    }
    return env | settings


def make_run_command(app: str = APP) -> list[str]:
    """The command of the Makefile's ``run`` target serving ``app``, with gunicorn taken from
    the interpreter running this (the same venv)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n\t(.+)$", makefile, re.MULTILINE)
    if recipe is None:
        raise RuntimeError("the Makefile has no run target")
    command = shlex.split(recipe.group(1))
    if not command[0].endswith("/bin/gunicorn") or command[-1] != APP:
        raise RuntimeError(f"the run target is not `gunicorn ... {APP}`: {command}")
    return [sys.executable, "-m", "gunicorn", *command[1:-1], app]


@dataclass
class Server:
    app: str
    process: subprocess.Popen
    port: int
    log: Path
    started: float  # time.perf_counter() when the process was spawned
    worker_count: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook(self) -> str:
        return self.base + "/wechat"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def messages(self) -> Counter[str]:
        """What the app logged per message (one JSON line each): how many were handled, and
        how many were taken for WeChat retries (answered from the store, no work done)."""
        seen: Counter[str] = Counter()
        for line in self.output().splitlines():
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "wechat message":
                seen["handled"] += 1
                seen["retry"] += bool(entry.get("retry"))
                seen[f"reply:{entry.get('reply')}"] += 1
        return seen

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (a graceful stop), then SIGKILL if it does not end in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    app: str, data_dir: Path, log: Path, workers: int | None = None, **settings: str
) -> Server:
    """``make run``'s gunicorn serving ``app`` on a free port, with BOT_DATA_DIR=data_dir,
    ``workers`` (WEB_CONCURRENCY, else the config's default) and ``settings``; not yet
    ready (wait_ready)."""
    port = free_port()
    if workers is not None:
        settings["WEB_CONCURRENCY"] = str(workers)
    env = clean_env(HOST="127.0.0.1", PORT=str(port), BOT_DATA_DIR=str(data_dir), **settings)
    handle = log.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        make_run_command(app), cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()
    count = int(env.get("WEB_CONCURRENCY", DEFAULT_WORKERS))
    return Server(app, process, port, log, started, count)


def wait_ready(server: Server, deadline_s: float = 120.0) -> float:
    """Seconds from spawn until GET /healthz answered 200 and every worker is up."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.app} exited with {server.process.returncode}:\n{server.output()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(server.base + "/healthz", timeout=2) as response:
                if response.status == 200 and len(server.workers()) == server.worker_count:
                    return time.perf_counter() - server.started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    server.stop()
    raise RuntimeError(
        f"{server.app} not ready after {deadline_s:.0f} s:\n{server.output()[-3000:]}"
    )


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's master: its workers)."""
    listing = Path(f"/proc/{pid}/task/{pid}/children")
    if listing.exists():
        return sorted(int(x) for x in listing.read_text().split())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def wait_workers(server: Server, count: int, gone: int | None = None, deadline_s: float = 30.0):
    """Seconds until the master has ``count`` workers (none of them ``gone``), or None."""
    start_at = time.perf_counter()
    while time.perf_counter() - start_at < deadline_s:
        pids = server.workers()
        if len(pids) == count and gone not in pids:
            return time.perf_counter() - start_at
        time.sleep(0.01)
    return None


class RedisServer:
    """A throwaway redis-server on a free port in ``directory``; ``stop`` and ``start`` again
    keep the port, so clients configured with ``url`` see an outage and a recovery."""

    def __init__(self, directory: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise NotInstalled("redis-server is not installed (apt-get install redis-server)")
        self.executable = executable
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.directory / "redis.log"

    def start(self) -> RedisServer:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    self.executable,
                    "--port", str(self.port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.2)
        deadline = time.monotonic() + REDIS_START_S
        try:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    log = self.log.read_text(errors="replace")
                    raise RuntimeError(f"redis-server exited at start:\n{log[-2000:]}")
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start on port {self.port}")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)
