"""A gunicorn started as ``make run`` starts it (gunicorn.conf.py), for one app, on a free port.

The benches load the real app (``wsgi:app``) and the floor app (``bench.floor:app``) with the
very same command, settings and worker count, so the only difference is the app.
"""

from __future__ import annotations

import json
import os
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

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-webhook-token"


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
    env["WECHAT_TOKEN"] = TOKEN
    env["LOG_LEVEL"] = "info"  # the default; the per-message lines are counted (messages())
    return env | settings


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
    def url(self) -> str:
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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(app: str, data_dir: Path, log: Path, workers: int = 2, **settings: str) -> Server:
    port = free_port()
    env = clean_env(
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        BOT_DATA_DIR=str(data_dir),
        **settings,
    )
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", app]
    handle = log.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    return Server(app, process, port, log, started, workers)


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
