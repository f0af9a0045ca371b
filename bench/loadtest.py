"""Load test: the real app under wrk's WeChat load, plain and with something breaking mid-run.

Scenarios (``--scenarios plain,kill,redis``), each on a fresh gunicorn (``make run``'s
command, WEB_CONCURRENCY workers, a temporary BOT_DATA_DIR):

- plain: N seconds of load; throughput, p50/p99, errors.
- kill: halfway through, one worker gets SIGKILL (a pid among the master's children).
  gunicorn must fork a replacement; at most the killed worker's in-flight request may fail,
  the worker count must be back, without the killed pid, and the load must keep answering.
- redis: BOT_REDIS_URL points at a redis-server started here on a free port, which is
  stopped halfway through; the replies after that are counted (answers, apologies, errors),
  then Redis is started again and the app must answer again. Skipped, with the reason, when
  the app does not start with BOT_REDIS_URL (no Redis store yet).

``make loadtest`` runs all three; ``python -m bench loadtest --seconds 30 --scenarios kill``
one of them. Not part of ``make bench``: it kills processes on purpose.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import _cpu, _serve, _wrk
from bench.retrieval import table
from bench.webhook import REAL, check_replies, machine

SCENARIOS = ("plain", "kill", "redis")
RECOVERY_DEADLINE = 30.0  # seconds for gunicorn to replace a worker, or the app to answer again


class Skip(Exception):
    """A scenario that cannot run here; the message says why."""


class Scenario:
    """One run: a server, the load, what happened mid-run, and the verdict."""

    def __init__(self, args: argparse.Namespace, folder: Path, asked: list[str]) -> None:
        self.args = args
        self.folder = folder
        self.asked = asked
        self.notes: list[str] = []
        self.failures: list[str] = []
        self.cpu: _cpu.CpuShare | None = None

    def serve(self, name: str, **settings: str) -> _serve.Server:
        server = _serve.start(
            REAL,
            self.folder / f"{name}-data",
            self.folder / f"{name}.log",
            self.args.workers,
            **_serve.BENCH_SETTINGS,
            **settings,
        )
        _serve.wait_ready(server)
        return server

    def load(
        self, server: _serve.Server, midway: Callable[[], None] | None = None
    ) -> _wrk.WrkResult:
        messages = _wrk.Load(self.folder, _serve.TOKEN, self.asked)
        _wrk.run(
            server.webhook, messages, self.args.warmup, self.args.connections, self.args.threads
        )

        def run() -> _wrk.WrkResult:
            process = _wrk.start(
                server.webhook,
                messages,
                self.args.seconds,
                self.args.connections,
                self.args.threads,
            )
            if midway is not None:
                time.sleep(self.args.seconds / 2)
                midway()
            return _wrk.finish(process)

        result, self.cpu = _cpu.measure(server.process.pid, server.workers, run)
        return result


def plain(s: Scenario) -> _wrk.WrkResult:
    server = s.serve("plain")
    try:
        result = s.load(server)
    finally:
        server.stop()
    if result.errors:
        s.failures.append(f"{result.errors} errors without any fault")
    return result


def kill(s: Scenario) -> _wrk.WrkResult:
    server = s.serve("kill")
    killed: dict[str, Any] = {}

    def kill_one() -> None:
        workers = server.workers()
        if len(workers) != s.args.workers:
            s.failures.append(f"{len(workers)} workers before the kill, not {s.args.workers}")
        victim = workers[0]
        os.kill(victim, signal.SIGKILL)
        killed["pid"] = victim
        killed["before"] = workers
        killed["back_s"] = _serve.wait_workers(server, s.args.workers, gone=victim)

    try:
        result = s.load(server, kill_one)
        after = server.workers()
        problems = check_replies(server, s.asked[:5], echo=False)
        log = server.output()
    finally:
        server.stop()
    back = killed.get("back_s")
    if back is None:
        s.failures.append(f"worker count not back to {s.args.workers} after the kill: {after}")
    else:
        s.notes.append(
            f"killed worker {killed['pid']} (SIGKILL) at {s.args.seconds / 2:g} s; "
            f"{s.args.workers} workers again after {back:.2f} s: {after}"
        )
    for pid in sorted(set(after) - set(killed.get("before") or after)):
        served = log.count(f"pid=<{pid}>")  # gunicorn.conf.py's access log names the worker
        s.notes.append(f"replacement worker {pid} served {served} requests")
        if not served:
            s.failures.append(f"the replacement worker {pid} served nothing")
    s.notes.append("per second [s, 200, 出处, 抱歉, non-200]:")
    s.notes.append("  " + " ".join(str(list(x)) for x in result.timeline))
    # With sync workers a worker serves one request at a time; the connections waiting in the
    # shared listen queue are not its own, so only the request it was handling may be lost.
    if result.errors > 1:
        s.failures.append(f"{result.errors} errors, more than the one in-flight request")
    if problems:
        s.failures.append("after the kill: " + "; ".join(problems))
    return result


def redis_scenario(s: Scenario) -> _wrk.WrkResult:
    try:
        redis_server = _serve.RedisServer(s.folder / "redis").start()
    except _serve.NotInstalled as exc:
        raise Skip(str(exc)) from None
    try:
        try:
            server = s.serve("redis", BOT_REDIS_URL=redis_server.url)
        except RuntimeError as exc:
            reason = next(
                (line for line in reversed(str(exc).splitlines()) if "Error" in line),
                str(exc).splitlines()[0],
            )
            raise Skip(f"the app does not start with BOT_REDIS_URL: {reason.strip()}") from None
        try:
            result = s.load(server, redis_server.stop)
            redis_server.start()  # on the same port, as a restarted Redis would be
            recovered = _recovery(server, s.asked[0])
        finally:
            server.stop()
    finally:
        redis_server.stop()
    half = s.args.seconds / 2
    s.notes.append(
        f"Redis stopped (SIGTERM) at {half:g} s; per second [s, 200, 出处, 抱歉, non-200]:"
    )
    s.notes.append("  " + " ".join(str(list(x)) for x in result.timeline))
    after = [sum(x[i] for x in result.timeline if x[0] > half) for i in range(1, 5)]
    s.notes.append(
        f"from {int(half) + 1} s on: {after[1]} answers, {after[2]} apologies, "
        f"{after[3]} non-200 (socket errors: {sum(result.socket_errors.values())} in all)"
    )
    if recovered is None:
        s.failures.append(f"no answer within {RECOVERY_DEADLINE:g} s of Redis coming back")
    else:
        s.notes.append(f"Redis started again: first answer after {recovered:.2f} s")
    return result


def _recovery(server: _serve.Server, question: str) -> float | None:
    from bot.wechat_client import WeChatClient

    client = WeChatClient(server.webhook, _serve.TOKEN, mode="plain", timeout=5)
    started = time.perf_counter()
    while time.perf_counter() - started < RECOVERY_DEADLINE:
        try:
            exchange = client.send_text("oLoadRecovery", question)
            if exchange.status == 200 and _wrk.ANSWER_MARKER in (exchange.text or ""):
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.1)
    return None


RUNNERS: dict[str, Callable[[Scenario], _wrk.WrkResult]] = {
    "plain": plain,
    "kill": kill,
    "redis": redis_scenario,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench loadtest")
    parser.add_argument("--seconds", type=float, default=20, help="load per scenario")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up load (s)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--dev", default=str(_wrk.DEV_FILE), help="questions (dev QA set)")
    args = parser.parse_args(argv)
    chosen = [x.strip() for x in args.scenarios.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in RUNNERS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    if _wrk.wrk_path() is None:
        print("skipped: wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
        return 0
    asked = _wrk.questions(Path(args.dev))
    print(machine())
    print(
        f"{REAL} under gunicorn --config gunicorn.conf.py, WEB_CONCURRENCY={args.workers}; "
        f"wrk {args.threads} threads, {args.connections} connections, {args.seconds:g} s "
        f"per scenario after {args.warmup:g} s warm-up; {len(asked)} questions\n",
        flush=True,
    )
    rows, failed = [], False
    for name in chosen:
        with tempfile.TemporaryDirectory(prefix=f"loadtest-{name}-") as tmp:
            scenario = Scenario(args, Path(tmp), asked)
            try:
                r = RUNNERS[name](scenario)
            except Skip as exc:
                print(f"{name}: skipped: {exc}", flush=True)
                rows.append([name, "skipped", *[""] * 8])
                continue
        errors = r.socket_errors
        rows.append(
            [
                name,
                f"{r.rps:,.0f}",
                f"{r.p50_ms:.1f}",
                f"{r.p99_ms:.1f}",
                str(r.non_2xx),
                ", ".join(f"{k} {v}" for k, v in errors.items() if v) or "0",
                f"{r.answered}/{r.requests}",
                f"{scenario.cpu.server:.2f}" if scenario.cpu else "",
                f"{scenario.cpu.other:.2f}" if scenario.cpu else "",
                "FAILED" if scenario.failures else "ok",
            ]
        )
        print(
            f"{name}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
            f"errors {r.errors}, {r.sorry} apologies",
            flush=True,
        )
        for line in scenario.notes:
            print("  " + line)
        for line in scenario.failures:
            print("  FAILED: " + line)
        failed |= bool(scenario.failures)
    header = [
        "scenario",
        "req/s",
        "p50 ms",
        "p99 ms",
        "non-2xx",
        "socket errors",
        "出处",
        "server CPU",
        "other CPU",
        "verdict",
    ]
    print()
    print(table(header, rows))
    print(
        "CPU columns: CPU seconds per second during the load (2.00 = both cores); other = the "
        "rest of the machine, wrk excluded."
    )
    return 1 if failed else 0
