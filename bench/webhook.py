"""Webhook: the real app against the floor app, under the same gunicorn and the same load.

Both apps run side by side with ``gunicorn --config gunicorn.conf.py`` (as ``make run``),
the same worker count and a temporary BOT_DATA_DIR; wrk (bench/wechat.lua) plays WeChat
with signed plaintext text messages carrying the dev set's real questions and fresh MsgIds.
After a warm-up the apps are loaded alternately, A B A B …, so a drift of the machine hits
both. The floor app (bench/floor.py) does only what any webhook must: signature, timestamp,
wechatpy parse, a TextReply. The targets, restated against what a correct bot must do (its
shared state across workers and machines): throughput ≥ 0.6 × floor on the embedded store
and ≥ 0.55 × on Redis (``--redis`` loads a third app, its state in a redis-server of its
own), p99 ≤ 2 × floor.

Before the load every question is sent once, through bot.wechat.client as WeChat sends
it, and during the load wrk's script counts the replies carrying a 出处 block: the bench
fails rather than measure error pages. It also times start-up: ``python -m bot ask`` to
its answer, and gunicorn's spawn to the first answered POST.

Usage: ``python -m bench webhook [--rounds 3] [--seconds 10] [--connections 8]``
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import _cpu, _serve, _wrk
from bench.retrieval import table

REAL = "wsgi:app"
FLOOR = "bench.floor:app"
THROUGHPUT_TARGET = 0.6  # real/floor requests per second, at least (embedded store)
REDIS_THROUGHPUT_TARGET = 0.55  # the same with the state in Redis
P99_TARGET = 2.0  # real/floor p99 latency, at most
START_QUESTION = "论坛在哪里举行？"
SCALED = "real-scaled"
REDIS = "real-redis"
SCALE_P99_TARGET = 2.0  # p99 with 100k passages / p99 with the report alone, at most


# what a wrk run is reported by, here and in the load test (bench/loadtest.py)
LOAD_COLUMNS = ("req/s", "p50 ms", "p99 ms", "non-2xx", "socket errors", "出处", "server CPU")


def scaled_knowledge(folder: Path, passages: int) -> Path:
    """The report plus ``passages`` synthetic passages (bench.knowledge's generator)."""
    from bench.knowledge import write_folder
    from bot.config import PROJECT_ROOT

    write_folder(folder, passages)
    for source in (PROJECT_ROOT / "knowledge" / "sources").iterdir():
        (folder / source.name).write_bytes(source.read_bytes())
    return folder


def machine() -> str:
    wrk = subprocess.run(
        [_wrk.wrk_path() or "wrk", "--version"], capture_output=True, text=True
    ).stdout.split(" [")[0]
    return (
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load by {wrk.strip()} on the same machine"
    )


def check_replies(server: _serve.Server, asked: Sequence[str], echo: bool) -> list[str]:
    """Send every question once as WeChat would; return what is wrong with the replies."""
    from bot.wechat.client import WeChatClient

    client = WeChatClient(server.webhook, _serve.TOKEN, mode="plain")
    problems = []
    for i, question in enumerate(asked):
        exchange = client.send_text(f"oBenchCheck{i:04d}", question)
        text = exchange.text or ""
        if exchange.status != 200:
            problems.append(f"{question}: HTTP {exchange.status} {exchange.body[:80]!r}")
        elif echo and text != question:
            problems.append(f"{question}: echoed {text[:80]!r}")
        elif not echo and _wrk.ANSWER_MARKER not in text:
            problems.append(f"{question}: no {_wrk.ANSWER_MARKER} in {text[:80]!r}")
    return problems


def first_answer(server: _serve.Server, deadline_s: float = 120.0) -> float:
    """Seconds from gunicorn's spawn to the first POST answered with sources."""
    from bot.wechat.client import WeChatClient

    client = WeChatClient(server.webhook, _serve.TOKEN, mode="plain", timeout=5)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.output()[-3000:]}")
        try:
            exchange = client.send_text("oBenchStart", START_QUESTION)
            if exchange.status == 200 and _wrk.ANSWER_MARKER in (exchange.text or ""):
                return time.perf_counter() - server.started
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"no answer within {deadline_s:.0f} s:\n{server.output()[-3000:]}")


def start_times(folder: Path, workers: int) -> list[str]:
    """Start-up, with a fresh data directory and then again with the same one: the CLI to
    its printed answer, gunicorn to its first answered POST. (jieba's dictionary cache lives
    in the system temp directory, so it is usually present in both.)"""
    lines = []
    data_dir = folder / "start-data"
    env = _serve.clean_env(BOT_DATA_DIR=str(data_dir), **_serve.BENCH_SETTINGS)
    for label in ("fresh BOT_DATA_DIR", "second start, same BOT_DATA_DIR"):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "ask", START_QUESTION],
            cwd=_serve.ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0 or _wrk.ANSWER_MARKER not in done.stdout:
            raise RuntimeError(f"python -m bot ask failed:\n{done.stdout}\n{done.stderr}")
        lines.append(
            f"- `python -m bot ask {START_QUESTION}` → answer printed, {label}: {seconds:.2f} s"
        )
    for label in ("fresh BOT_DATA_DIR", "second start, same BOT_DATA_DIR"):
        server = _serve.start(
            REAL, data_dir / "gunicorn", folder / "start.log", workers, **_serve.BENCH_SETTINGS
        )
        try:
            seconds = first_answer(server)
        finally:
            server.stop()
        lines.append(
            f"- gunicorn spawn → first answered POST /wechat ({workers} workers), "
            f"{label}: {seconds:.2f} s"
        )
    return lines


def row(app: str, label: str, r: _wrk.WrkResult, cpu: _cpu.CpuShare) -> list[str]:
    return [
        app,
        label,
        f"{r.rps:,.0f}",
        f"{r.p50_ms:.1f}",
        f"{r.p99_ms:.1f}",
        str(r.non_2xx),
        str(sum(r.socket_errors.values())),
        f"{r.answered}/{r.requests}",
        f"{cpu.server:.2f}",
        f"{cpu.wrk:.2f}",
        f"{cpu.other:.2f}",
        f"{1000 * cpu.server / r.rps:.2f}" if r.rps else "-",
    ]


def median(results: Sequence[_wrk.WrkResult], attribute: str) -> float:
    return statistics.median(getattr(r, attribute) for r in results)


def _against(value: float, target: float, at_least: bool = False) -> str:
    """A ratio and its target, and whether it is met (the summary lines other tools read)."""
    met = value >= target if at_least else value <= target
    return f"{value:.2f} (target {'≥' if at_least else '≤'} {target}: {'met' if met else 'MISSED'})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench webhook")
    parser.add_argument("--rounds", type=int, default=3, help="A B rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=10, help="each load (default 10)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up load per app (s)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--dev", default=str(_wrk.DEV_FILE), help="questions (dev QA set)")
    parser.add_argument("--no-start", action="store_true", help="skip the start-up timings")
    parser.add_argument(
        "--real", default=REAL, help=f"the app to measure against the floor (default {REAL})"
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=100_000,
        help="also load the real app on the report plus this many synthetic passages, "
        "to compare with the report alone (0: skip; default 100000)",
    )
    parser.add_argument(
        "--redis",
        action=argparse.BooleanOptionalAction,
        default=shutil.which("redis-server") is not None,
        help="also load the real app with its shared state in a redis-server of its own "
        "(BOT_REDIS_URL), in the same rotation (default: when redis-server is installed)",
    )
    args = parser.parse_args(argv)

    if _wrk.wrk_path() is None:
        print("skipped: wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
        return 0
    dev = Path(args.dev)
    if not dev.exists():
        print(f"skipped: no question set at {dev}")
        return 0
    asked = _wrk.questions(dev)
    print(machine())
    print(
        f"gunicorn --config gunicorn.conf.py APP (real: {args.real}, floor: {FLOOR}), "
        f"WEB_CONCURRENCY={args.workers}; "
        f"wrk {args.threads} threads, {args.connections} connections; {len(asked)} questions "
        f"from {dev.name}; {args.rounds} rounds x {args.seconds:g} s per app, alternated, "
        f"after {args.warmup:g} s warm-up each\n",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        folder = Path(tmp)
        startup = [] if args.no_start else start_times(folder, args.workers)
        servers = {
            "real": _serve.start(
                args.real,
                folder / "real-data",
                folder / "real.log",
                args.workers,
                **_serve.BENCH_SETTINGS,
            ),
            "floor": _serve.start(
                FLOOR,
                folder / "floor-data",
                folder / "floor.log",
                args.workers,
                **_serve.BENCH_SETTINGS,
            ),
        }
        redis_server = None
        if args.redis:
            redis_server = _serve.RedisServer(folder / "redis").start()
            servers[REDIS] = _serve.start(
                args.real,
                folder / "redis-data",
                folder / "redis.log",
                args.workers,
                BOT_REDIS_URL=redis_server.url,
                **_serve.BENCH_SETTINGS,
            )
        if args.scale:
            big = scaled_knowledge(folder / "knowledge", args.scale)
            servers[SCALED] = _serve.start(
                args.real,
                folder / "scaled-data",
                folder / "scaled.log",
                args.workers,
                BOT_KNOWLEDGE_DIR=str(big),
                **_serve.BENCH_SETTINGS,
            )
        results: dict[str, list[_wrk.WrkResult]] = {name: [] for name in servers}
        shares: dict[str, list[_cpu.CpuShare]] = {name: [] for name in servers}
        try:
            for server in servers.values():
                _serve.wait_ready(server, deadline_s=600)
            problems = check_replies(servers["real"], asked, echo=False)
            for other in (REDIS, SCALED):
                if other in servers:
                    problems += check_replies(servers[other], asked, echo=False)
            problems += check_replies(servers["floor"], asked, echo=True)
            if problems:
                print("FAILED: the apps do not answer as expected:\n" + "\n".join(problems))
                return 1
            messages = _wrk.Load(folder, _serve.TOKEN, asked)

            def load(name: str, seconds: float) -> tuple[_wrk.WrkResult, _cpu.CpuShare]:
                server = servers[name]
                result, cpu = _cpu.measure(
                    server.process.pid,
                    server.workers,
                    lambda: _wrk.run(
                        server.webhook, messages, seconds, args.connections, args.threads
                    ),
                )
                _wrk.pause(1)
                return result, cpu

            for name in servers:
                load(name, args.warmup)
            for i in range(args.rounds):
                for name in servers:
                    r, cpu = load(name, args.seconds)
                    results[name].append(r)
                    shares[name].append(cpu)
                    print(
                        f"round {i + 1} {name}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, "
                        f"p99 {r.p99_ms:.1f} ms, errors {r.errors}; CPU s/s: server "
                        f"{cpu.server:.2f}, wrk {cpu.wrk:.2f}, other {cpu.other:.2f}",
                        flush=True,
                    )
        finally:
            for server in servers.values():
                server.stop()
            if redis_server is not None:
                redis_server.stop()
        logged = servers["real"].messages()
        if REDIS in servers:
            logged += servers[REDIS].messages()

    rows = []
    for name, runs in results.items():
        rows += [
            row(name, f"round {i + 1}", r, cpu)
            for i, (r, cpu) in enumerate(zip(runs, shares[name], strict=True))
        ]
    header = ["app", "run", *LOAD_COLUMNS, "wrk CPU", "other CPU", "ms CPU/req"]
    print()
    print(table(header, rows))

    real, floor = results["real"], results["floor"]
    throughput = median(real, "rps") / median(floor, "rps")
    p99 = median(real, "p99_ms") / median(floor, "p99_ms")
    print(
        f"\nMedians over {args.rounds} rounds: real {median(real, 'rps'):,.0f} req/s, "
        f"p50 {median(real, 'p50_ms'):.1f} ms, p99 {median(real, 'p99_ms'):.1f} ms; "
        f"floor {median(floor, 'rps'):,.0f} req/s, p50 {median(floor, 'p50_ms'):.1f} ms, "
        f"p99 {median(floor, 'p99_ms'):.1f} ms"
    )
    print(
        f"real/floor throughput {_against(throughput, THROUGHPUT_TARGET, at_least=True)}; "
        f"p99 {_against(p99, P99_TARGET)}"
    )
    if REDIS in results:
        on_redis = results[REDIS]
        redis_throughput = median(on_redis, "rps") / median(floor, "rps")
        redis_p99 = median(on_redis, "p99_ms") / median(floor, "p99_ms")
        print(
            f"real on Redis: {median(on_redis, 'rps'):,.0f} req/s, p50 "
            f"{median(on_redis, 'p50_ms'):.1f} ms, p99 {median(on_redis, 'p99_ms'):.1f} ms; "
            "against the floor: throughput "
            f"{_against(redis_throughput, REDIS_THROUGHPUT_TARGET, at_least=True)}, "
            f"p99 {_against(redis_p99, P99_TARGET)}"
        )
    if SCALED in results:
        scaled = results[SCALED]
        ratio = median(scaled, "p99_ms") / median(real, "p99_ms")
        print(
            f"{args.scale:,} more passages: {median(scaled, 'rps'):,.0f} req/s, p50 "
            f"{median(scaled, 'p50_ms'):.1f} ms, p99 {median(scaled, 'p99_ms'):.1f} ms; "
            f"p99 ratio to the report alone {_against(ratio, SCALE_P99_TARGET)}"
        )
    cost = {
        name: statistics.median(
            1000 * c.server / r.rps for r, c in zip(runs, shares[name], strict=True)
        )
        for name, runs in results.items()
    }
    print(
        f"server CPU per request (median): real {cost['real']:.2f} ms, floor "
        f"{cost['floor']:.2f} ms; floor/real = {cost['floor'] / cost['real']:.2f}, the "
        f"throughput ratio to expect when the server has the CPU to itself"
    )
    print(
        "CPU columns: CPU seconds per second during the run (2.00 = both cores); other = "
        "the rest of the machine. ms CPU/req = server CPU per request, all gunicorn processes."
    )
    print(
        f"real app's log: {logged['handled']} messages handled, {logged['retry']} taken for "
        f"WeChat retries (must be 0: every MsgId is fresh)"
    )
    if startup:
        print("\nStart-up:\n" + "\n".join(startup))

    errors = sum(r.errors for runs in results.values() for r in runs)
    unanswered = sum(
        r.requests - r.answered for r in real + results.get(SCALED, []) + results.get(REDIS, [])
    )
    if errors or unanswered or logged["retry"]:
        print(
            f"\nFAILED: {errors} errors; {unanswered} real replies without "
            f"{_wrk.ANSWER_MARKER}; {logged['retry']} messages taken for retries"
        )
        return 1
    return 0
