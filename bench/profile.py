"""Profile: where one POST /wechat spends its time, in process, without gunicorn or wrk.

The real app (``create_app``, a temporary data directory) gets the dev set's questions as
WeChat sends them (signed plaintext text messages from bot.wechat.client, fresh MsgIds,
a user per message) through Flask's test client, logging as a served app does (a JSON line
per message, here to /dev/null); pyinstrument samples the loop. Printed: CPU time
per request, with and without the profiler, and the call tree of the costs above 2 %.

Usage: ``python -m bench profile [--requests 1000] [--redis]``
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from bench import _serve, _wrk

USERS = 1_000_000  # none of them trips the per-user rate limit


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench profile")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--dev", default=str(_wrk.DEV_FILE), help="questions (dev QA set)")
    parser.add_argument(
        "--no-answer-cache",
        action="store_true",
        help="compose every answer anew (the cost of a question not asked before)",
    )
    parser.add_argument(
        "--redis",
        action="store_true",
        help="the shared state in a redis-server of its own (BOT_REDIS_URL), not embedded",
    )
    args = parser.parse_args(argv)
    dev = Path(args.dev)
    if not dev.exists():
        print(f"skipped: no question set at {dev}")
        return 0
    from pyinstrument import Profiler

    import bot.chat.engine
    from bot.config import Config
    from bot.log import JsonFormatter
    from bot.web import create_app
    from bot.wechat.client import WeChatClient, render_message

    asked = _wrk.questions(dev)
    if args.no_answer_cache:
        bot.chat.engine.ANSWER_CACHE_SIZE = 0
    token = "bench-profile-token"
    # a served app logs a JSON line per message (LOG_LEVEL=info): the profile pays for it too
    sink = open(os.devnull, "w")  # noqa: SIM115
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.INFO
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp, ExitStack() as stack:
        redis_url = ""
        if args.redis:
            server = _serve.RedisServer(Path(tmp) / "redis").start()
            stack.callback(server.stop)
            redis_url = server.url
        config = Config(data_dir=Path(tmp), wechat_token=token, admin_token="x")
        app = create_app(replace(config, redis_url=redis_url))
        client = app.test_client()
        wechat = WeChatClient("/wechat", token, mode="plain")

        def post(i: int) -> None:
            openid = f"oBenchProfile{i % USERS:07d}"
            xml = render_message(
                "text", source=openid, msg_id=wechat.next_msg_id(), content=asked[i % len(asked)]
            )
            query, body = wechat.prepare(xml, openid=openid)
            response = client.post(
                "/wechat", query_string=query, data=body, content_type="text/xml"
            )
            if response.status_code != 200 or _wrk.ANSWER_MARKER.encode() not in response.data:
                raise SystemExit(f"not an answer: {response.status_code} {response.data[:200]!r}")

        def loop(first: int) -> float:
            start = time.process_time()
            for i in range(first, first + args.requests):
                post(i)
            return (time.process_time() - start) / args.requests * 1000

        loop(0)  # warm-up: the tagger's tables load on first use
        plain_ms = loop(args.requests)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        profiled_ms = loop(2 * args.requests)
        profiler.stop()
        app.extensions["forumbot"].engine.querylog.close()  # before the data folder goes
    root.removeHandler(handler)
    root.level = level
    sink.close()
    print(
        f"{args.requests} requests through Flask's test client: {plain_ms:.2f} ms CPU a request "
        f"({profiled_ms:.2f} ms under the profiler)\n"
    )
    print(
        profiler.output_text(unicode=True, color=False, show_all=False, time="percent_of_total")
        .split("\n", 6)[-1]  # pyinstrument's banner
        .rstrip()
    )
    return 0
