"""End to end faults with the real gunicorn: a worker killed under load is replaced, and
only what was in flight on it can fail."""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
import urllib.error

from bot.wechat.client import WeChatClient
from tests.gunicorn_support import versions_by_worker
from tests.wechat_support import TOKEN

CLIENTS = 4


def test_a_worker_killed_under_load_is_replaced(server):
    workers = set(versions_by_worker(server))
    assert len(workers) == 2
    stop = threading.Event()
    ok, failed = [0], [0]

    def load(n: int) -> None:
        wechat = WeChatClient(server.webhook, TOKEN)
        i = 0
        while not stop.is_set():
            i += 1
            try:
                reply = wechat.send_text(f"oKill{n:02d}{i:020d}", "论坛在哪里举行？")
                if reply.status == 200 and "出处" in reply.text:
                    ok[0] += 1
                else:
                    failed[0] += 1
            except (
                urllib.error.URLError,
                ConnectionError,
                TimeoutError,
                http.client.HTTPException,  # a reply cut short by the kill (IncompleteRead)
            ):
                failed[0] += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        victim = sorted(workers)[0]
        before_kill = ok[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        replaced: set[int] = set()
        while time.monotonic() < deadline:
            replaced = set(versions_by_worker(server, rounds=1)) - workers
            if replaced:
                break
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert replaced, "gunicorn did not start a new worker"
    assert victim not in versions_by_worker(server)
    assert ok[0] > before_kill  # kept answering through the kill
    # Only requests in flight on the killed worker can fail: at most one per client.
    assert failed[0] <= CLIENTS, (failed[0], ok[0])
