"""A real gunicorn for end-to-end tests, started as ``make run`` starts it (bench._serve,
which the benches use too), with the settings a test gives it, healthy before it is used."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench._serve import APP, Server, clean_env, free_port, make_run_command, start, wait_ready
from tests.wechat_support import AES_KEY, APPID, TOKEN

STARTUP_DEADLINE = 120  # seconds; generous for a slow CI machine, normally ~2 s
ADMIN_TOKEN = "e2e-admin-token-long-enough-for-a-lockout"  # bot.web.throttle.STRONG_TOKEN

__all__ = [
    "ADMIN_TOKEN",
    "Server",
    "clean_env",
    "free_port",
    "make_run_command",
    "production_settings",
    "running_server",
    "start_server",
]


def production_settings(**settings: str) -> dict[str, str]:
    """A production deployment's environment: the test account in safe mode, 2 workers."""
    return {
        "WEB_CONCURRENCY": "2",
        "BOT_ENV": "production",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_APPID": APPID,
        "BOT_ADMIN_TOKEN": ADMIN_TOKEN,
        **settings,
    }


def start_server(data_dir: Path, **settings: str) -> Server:
    """gunicorn with BOT_DATA_DIR=data_dir and ``settings`` in its environment, every worker
    up and /healthz answering."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = start(APP, data_dir, data_dir / "gunicorn.log", **settings)
    try:
        wait_ready(server, deadline_s=STARTUP_DEADLINE)
    except RuntimeError as exc:  # it exited, or never became healthy: the log says why
        pytest.fail(str(exc))
    return server


@contextmanager
def running_server(data_dir: Path, **settings: str) -> Iterator[Server]:
    server = start_server(data_dir, **settings)
    try:
        yield server
    finally:
        server.stop()


def health(server) -> dict:
    with urllib.request.urlopen(server.base + "/healthz", timeout=10) as response:
        return json.load(response)


def versions_by_worker(server, workers: int = 2, rounds: int = 20) -> dict[int, str]:
    """The knowledge version each worker serves. Requests go in concurrent batches until
    every worker has answered some (one idle worker alone could take them all); every
    answer of a worker must give the same version."""
    seen: dict[int, set[str]] = {}
    for _ in range(rounds):
        with ThreadPoolExecutor(8) as pool:
            for h in pool.map(lambda _: health(server), range(24)):
                seen.setdefault(h["pid"], set()).add(h["knowledge_version"])
        if len(seen) >= workers:
            break
    assert all(len(v) == 1 for v in seen.values()), seen
    return {pid: v.pop() for pid, v in seen.items()}
