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

- bigreload: halfway through, a document of ``--big-mb`` MB (20) is added to the knowledge
  folder and reloaded through the admin API. The reload must answer at once (200, or 202 while
  it builds); the load must keep being answered with no error; every worker must then serve
  the new version (polled on /healthz, up to ``--switch-deadline`` s); and no process of the
  server, its build helpers included, may be left after it stops.

``make loadtest`` runs all four; ``python -m bench loadtest --seconds 30 --scenarios kill``
one of them. Not part of ``make bench``: it kills processes on purpose.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import _cpu, _serve, _wrk
from bench.retrieval import table
from bench.webhook import LOAD_COLUMNS, REAL, check_replies, machine
from bot.config import PROJECT_ROOT

SCENARIOS = ("plain", "kill", "redis", "bigreload")
ADMIN_TOKEN = "bench-admin-token"
RELOAD_WAIT = 10.0  # BOT_RELOAD_WAIT's default
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
    # A threaded worker may be handling one request per connection when it is killed; the
    # connections waiting in the shared listen queue are not its own.
    if result.errors > s.args.connections:
        s.failures.append(f"{result.errors} errors, more than one in-flight request a connection")
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
    from bot.wechat.client import WeChatClient

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


def big_document(path: Path, megabytes: float) -> None:
    """One markdown document of about ``megabytes`` MB, from bench.knowledge's generator."""
    from bench.knowledge import write_folder

    parts = path.parent / "parts"
    parts.mkdir()
    write_folder(parts, int(megabytes * 7000))  # about 150 bytes a passage
    with path.open("w", encoding="utf-8") as out:
        out.write("---\ntitle: 大文档\n---\n")
        for part in sorted(parts.iterdir()):
            out.write(part.read_text("utf-8").split("---\n", 2)[-1])


def _versions(server: _serve.Server, rounds: int = 12) -> dict[int, str]:
    """The version each worker serves, from /healthz asked a few times (any worker answers)."""
    seen: dict[int, str] = {}
    for _ in range(rounds):
        try:
            with urllib.request.urlopen(server.base + "/healthz", timeout=5) as response:
                health = json.load(response)
            seen[health["pid"]] = health["knowledge_version"]
        except (OSError, ValueError):
            pass
    return seen


def _processes_of(data_dir: Path) -> list[int]:
    """Every process started with this BOT_DATA_DIR: the server's, and any build helper
    they forked (orphaned helpers would keep it in their environment too)."""
    marker = f"BOT_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def bigreload(s: Scenario) -> _wrk.WrkResult:
    knowledge = s.folder / "big-knowledge"
    knowledge.mkdir()
    for source in (PROJECT_ROOT / "knowledge" / "sources").iterdir():
        (knowledge / source.name).write_bytes(source.read_bytes())
    big = s.folder / "big" / "big.md"
    big.parent.mkdir()
    big_document(big, s.args.big_mb)
    server = s.serve(
        "bigreload",
        BOT_KNOWLEDGE_DIR=str(knowledge),
        BOT_ADMIN_TOKEN=ADMIN_TOKEN,
        BOT_RATE_LIMIT="0",
    )
    before = _versions(server)
    reloaded: dict[str, Any] = {}

    def reload_big() -> None:
        (knowledge / "big.md").write_bytes(big.read_bytes())
        request = urllib.request.Request(
            server.base + "/admin/reload",
            method="POST",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                reloaded.update(status=response.status, body=json.load(response))
        except urllib.error.HTTPError as exc:
            reloaded.update(status=exc.code, body=exc.read().decode(errors="replace"))
        reloaded["answered_s"] = time.perf_counter() - started
        reloaded["at"] = time.monotonic()

    try:
        result = s.load(server, reload_big)
        version = (
            (reloaded.get("body") or {}).get("version")
            if isinstance(reloaded.get("body"), dict)
            else None
        )
        switched = None
        deadline = time.monotonic() + s.args.switch_deadline
        while version and time.monotonic() < deadline:
            seen = _versions(server)
            if len(seen) >= s.args.workers and set(seen.values()) == {version}:
                switched = time.monotonic() - reloaded["at"]
                break
            time.sleep(1)
    finally:
        server.stop()
    time.sleep(2)
    s.notes.append(
        f"{big.stat().st_size / 2**20:.1f} MB document reloaded at {s.args.seconds / 2:g} s: "
        f"HTTP {reloaded.get('status')} after {reloaded.get('answered_s', 0):.2f} s; "
        f"versions before {sorted(set(before.values()))}, new {version}"
    )
    if reloaded.get("status") not in (200, 202):
        s.failures.append(f"the reload answered {reloaded.get('status')}: {reloaded.get('body')}")
    # it waits BOT_RELOAD_WAIT (10 s) for the build, then answers 202: far inside gunicorn's
    # 30 s timeout, which killed the reloading worker before builds left the request
    if (reloaded.get("answered_s") or 99) > RELOAD_WAIT + 5:
        s.failures.append(f"the reload took {reloaded.get('answered_s'):.1f} s to answer")
    if switched is None:
        s.failures.append(f"not every worker served {version} within {s.args.switch_deadline:g} s")
    else:
        s.notes.append(f"every worker served the new version {switched:.1f} s after the reload")
    if result.errors:
        s.failures.append(f"{result.errors} errors while the big document was built")
    left = _processes_of(s.folder / "bigreload-data")
    if left:
        s.failures.append(f"processes left after the server stopped: {left}")
    return result


RUNNERS: dict[str, Callable[[Scenario], _wrk.WrkResult]] = {
    "plain": plain,
    "kill": kill,
    "redis": redis_scenario,
    "bigreload": bigreload,
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
    parser.add_argument("--big-mb", type=float, default=20, help="bigreload: document size")
    parser.add_argument(
        "--switch-deadline", type=float, default=600, help="bigreload: seconds to switch"
    )
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
    header = ["scenario", *LOAD_COLUMNS, "other CPU", "verdict"]
    print()
    print(table(header, rows))
    print(
        "CPU columns: CPU seconds per second during the load (2.00 = both cores); other = the "
        "rest of the machine, wrk excluded."
    )
    return 1 if failed else 0
